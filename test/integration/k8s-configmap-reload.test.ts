/**
 * Rules from a Kubernetes ConfigMap volume: files laid out exactly as the Deployment's items put
 * them (docker/k8s/deployment.yaml), and updates written the way the kubelet writes them (a new
 * timestamped folder, the `..data` symlink swapped in one rename, the old folder deleted). Each
 * update must go live without a restart, the second one too (the watch must follow the swap).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { knowledgeFiles, volumeSources, type KnowledgeFile } from '../../src/ops/k8s-knowledge.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { startLiveService, type LiveService } from '../support/live-service.js';
import type { KnowledgeCopy } from '../support/knowledge-copy.js';

/** A projected ConfigMap volume as the kubelet's atomic writer keeps it. */
class ConfigMapVolume {
  private generation = 0;
  private current = '';
  constructor(readonly mount: string) {}

  write(files: readonly KnowledgeFile[]): void {
    const next = `..2026_01_01_00_00_0${this.generation++}.${process.pid}`;
    for (const item of volumeSources(files).flatMap((s) => s.items)) {
      const file = files.find((f) => f.key === item.key);
      const target = join(this.mount, next, item.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file?.text ?? '');
    }
    symlinkSync(next, join(this.mount, '..data_tmp'));
    renameSync(join(this.mount, '..data_tmp'), join(this.mount, '..data'));
    // The first path segment of each item is a symlink through ..data, made once.
    if (!this.current) for (const top of ['rules', 'cards']) symlinkSync(join('..data', top), join(this.mount, top));
    if (this.current) rmSync(join(this.mount, this.current), { recursive: true, force: true });
    this.current = next;
  }
}

const files = knowledgeFiles({ rulesDir, cardsDir });
let root: string;
let service: LiveService;
let volume: ConfigMapVolume;

function withSummary(summary: string): KnowledgeFile[] {
  return files.map((f) => {
    if (f.path !== 'cards/imaging-defer.json') return f;
    const card = JSON.parse(f.text) as { summary: string };
    return { ...f, text: JSON.stringify({ ...card, summary }, null, 2) };
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'backpain-configmap-'));
  volume = new ConfigMapVolume(root);
  volume.write(files);
  const mount: Pick<KnowledgeCopy, 'rulesDir' | 'cardsDir'> = { rulesDir: join(root, 'rules'), cardsDir: join(root, 'cards') };
  service = await startLiveService(mount as KnowledgeCopy);
});
afterAll(async () => {
  await service.close();
  rmSync(root, { recursive: true, force: true });
});

test('the items lay out every file the service loads, at its own path', async () => {
  const status = await service.status();
  // The same content as the project's folders: the same rule set version as a direct load.
  const copy = mkdtempSync(join(tmpdir(), 'backpain-direct-'));
  cpSync(rulesDir, join(copy, 'rules'), { recursive: true });
  cpSync(cardsDir, join(copy, 'cards'), { recursive: true });
  const direct = await startLiveService({ rulesDir: join(copy, 'rules'), cardsDir: join(copy, 'cards') } as KnowledgeCopy);
  try {
    expect((await direct.status()).version).toBe(status.version);
  } finally {
    await direct.close();
    rmSync(copy, { recursive: true, force: true });
  }
  expect(readFileSync(join(root, 'rules', 'valuesets', 'back-pain.json'), 'utf8')).toBe(
    readFileSync(join(rulesDir, 'valuesets', 'back-pain.json'), 'utf8'),
  );
});

test('two ConfigMap updates in a row each go live without a restart', async () => {
  const first = (await service.status()).version;
  volume.write(withSummary('Consider deferring imaging: first update'));
  const one = await service.until((s) => s.version !== first);
  expect(one.status.lastReload?.outcome).toBe('loaded');

  volume.write(withSummary('Consider deferring imaging: second update'));
  const two = await service.until((s) => s.version !== one.status.version);
  expect(two.status.lastReload?.outcome).toBe('loaded');

  // And back to the original files: the version is the original one again.
  volume.write(files);
  const back = await service.until((s) => s.version !== two.status.version);
  expect(back.status.version).toBe(first);
});
