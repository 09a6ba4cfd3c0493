/**
 * The rule, value set and card files as Kubernetes ConfigMaps, and the projected volume that lays
 * them out again as rules/… and cards/… in the pod. A ConfigMap holds at most 1 MiB and the broad
 * value sets (SNOMED descendants, RxNorm products) hold more than that together, so the files are
 * packed, in path order, into as many ConfigMaps as they need (backpain-cds-knowledge,
 * backpain-cds-knowledge-2, …), and one projected volume joins them into one folder. A ConfigMap key
 * cannot hold a "/", so a file's key is its path with "/" written as "__"; the volume's items map
 * each key back to its path. Pods hot-reload changed ConfigMaps like an edited folder
 * (src/knowledge/watch.ts).
 *
 * Not kustomize's configMapGenerator: it does not pack files into ConfigMaps under 1 MiB (each
 * generator is one ConfigMap, listed by hand), it keys files by base name (the nested rules/valuesets/
 * paths would need a key=path line each, and the projected volume's items still written here), and
 * hot reload needs stable names, so its content-hash suffix would have to be switched off. It is also
 * not installed where the tests run; this generator is tested (test/integration/k8s-configmap-reload.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Document, isMap, isSeq, parseAllDocuments, type YAMLMap } from 'yaml';
import type { KnowledgeDirs } from '../knowledge/load.js';

export const KNOWLEDGE_CONFIGMAP = 'backpain-cds-knowledge';
/** Where the Deployment mounts the volume; RULES_DIR and CARDS_DIR point under it. */
export const KNOWLEDGE_MOUNT = '/app/knowledge';
export const KNOWLEDGE_VOLUME = 'knowledge';
/** Kubernetes refuses a ConfigMap over 1 MiB; the rest of the object (names, YAML) stays under the margin. */
const MAX_BYTES = 1_048_576;
const DATA_BUDGET = MAX_BYTES - 32_768;
const KEY = /^[-._a-zA-Z0-9]+$/;

export interface KnowledgeFile {
  /** In the pod, under the mount: "rules/valuesets/back-pain.json". */
  path: string;
  key: string;
  text: string;
}

export interface VolumeItem {
  key: string;
  path: string;
}

/** One ConfigMap of the projected volume, with the items it lays out. */
export interface VolumeSource {
  name: string;
  items: VolumeItem[];
}

/** Every JSON file the service loads: rules/ (with subfolders, but not the editors' schemas/) and cards/. */
export function knowledgeFiles(dirs: KnowledgeDirs): KnowledgeFile[] {
  const walk = (dir: string, under: string, skip: Set<string>): KnowledgeFile[] =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => {
        const full = join(dir, e.name);
        if (e.isDirectory()) return skip.has(e.name) ? [] : walk(full, `${under}/${e.name}`, new Set());
        if (!e.name.endsWith('.json')) return [];
        const path = `${under}/${e.name}`;
        const key = path.replaceAll('/', '__');
        if (!KEY.test(key) || e.name.includes('__'))
          throw new Error(
            `${relative(process.cwd(), full)}: a ConfigMap key allows letters, digits, "-", "." and "_" only ` +
              '(and no "__" in a file name); rename the file',
          );
        return [{ path, key, text: readFileSync(full, 'utf8') }];
      });
  const files = [...walk(dirs.rulesDir, 'rules', new Set(['schemas'])), ...walk(dirs.cardsDir, 'cards', new Set())];
  for (const f of files) {
    if (size(f) > DATA_BUDGET)
      throw new Error(
        `${f.path} is ${size(f)} bytes; one ConfigMap holds at most ${DATA_BUDGET} of data. ` +
          'Ship the knowledge in the image instead (docs/operations.md)',
      );
  }
  return files;
}

const size = (f: KnowledgeFile): number => Buffer.byteLength(f.key) + Buffer.byteLength(f.text);

/** The files in path order, cut into ConfigMap-sized groups; the same files always give the same groups. */
function groups(files: readonly KnowledgeFile[]): { name: string; files: KnowledgeFile[] }[] {
  const out: { name: string; files: KnowledgeFile[]; bytes: number }[] = [];
  for (const f of files) {
    let last = out.at(-1);
    if (!last || last.bytes + size(f) > DATA_BUDGET) {
      last = { name: out.length === 0 ? KNOWLEDGE_CONFIGMAP : `${KNOWLEDGE_CONFIGMAP}-${out.length + 1}`, files: [], bytes: 0 };
      out.push(last);
    }
    last.files.push(f);
    last.bytes += size(f);
  }
  return out;
}

export function volumeSources(files: readonly KnowledgeFile[]): VolumeSource[] {
  return groups(files).map((g) => ({ name: g.name, items: g.files.map((f) => ({ key: f.key, path: f.path })) }));
}

export function configMapYaml(files: readonly KnowledgeFile[]): string {
  return groups(files)
    .map((g, i) => {
      const doc = new Document({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: g.name },
        data: Object.fromEntries(g.files.map((f) => [f.key, f.text])),
      });
      if (i === 0) {
        doc.commentBefore =
          ' Generated from rules/ and cards/ by `npx backpain-cds k8s-knowledge`: do not edit here.\n' +
          ' Edit the files, run `npx backpain-cds validate`, then regenerate and `kubectl apply -k docker/k8s`.\n' +
          ' The files fill as many ConfigMaps as they need (1 MiB each); the Deployment projects them into one folder.';
      }
      return doc.toString({ lineWidth: 0, blockQuote: 'literal' });
    })
    .join('---\n');
}

/** The Deployment's YAML with the knowledge volume's sources replaced (comments and layout kept). */
export function withVolumeSources(deploymentYaml: string, sources: readonly VolumeSource[]): string {
  const docs = parseAllDocuments(deploymentYaml);
  const doc = docs.find((d) => d.get('kind') === 'Deployment');
  if (!doc || docs.length !== 1) throw new Error('expected exactly one Deployment document');
  const volumes = doc.getIn(['spec', 'template', 'spec', 'volumes']);
  const volume = isSeq(volumes) ? volumes.items.find((v): v is YAMLMap => isMap(v) && v.get('name') === KNOWLEDGE_VOLUME) : undefined;
  if (!volume) throw new Error(`the Deployment has no volume named "${KNOWLEDGE_VOLUME}"`);
  volume.delete('configMap');
  volume.set(
    'projected',
    doc.createNode({ sources: sources.map((s) => ({ configMap: { name: s.name, items: s.items.map((i) => ({ ...i })) } })) }),
  );
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The Deployment's knowledge volume sources, for checks. */
export function deploymentSources(deploymentYaml: string): VolumeSource[] {
  const doc = parseAllDocuments(deploymentYaml)[0];
  type Volume = { name: string; projected?: { sources?: { configMap?: { name: string; items?: VolumeItem[] } }[] } };
  const volumes = doc?.toJS() as { spec?: { template?: { spec?: { volumes?: Volume[] } } } } | undefined;
  const sources = volumes?.spec?.template?.spec?.volumes?.find((v) => v.name === KNOWLEDGE_VOLUME)?.projected?.sources ?? [];
  return sources.flatMap((s) => (s.configMap ? [{ name: s.configMap.name, items: s.configMap.items ?? [] }] : []));
}
