/**
 * The rule, value set and card files as one Kubernetes ConfigMap, and the volume `items` that lay
 * them out again as rules/… and cards/… in the pod. A ConfigMap key cannot hold a "/", so a file's
 * key is its path with "/" written as "__"; the Deployment's items map each key back to its path.
 * Pods hot-reload a changed ConfigMap like an edited folder (src/knowledge/watch.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Document, isMap, isSeq, parseAllDocuments, type YAMLMap } from 'yaml';
import type { KnowledgeDirs } from '../knowledge/load.js';

export const KNOWLEDGE_CONFIGMAP = 'backpain-cds-knowledge';
/** Where the Deployment mounts the volume; RULES_DIR and CARDS_DIR point under it. */
export const KNOWLEDGE_MOUNT = '/app/knowledge';
export const KNOWLEDGE_VOLUME = 'knowledge';
/** Kubernetes refuses a ConfigMap over 1 MiB. */
const MAX_BYTES = 1_048_576;
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
        if (!KEY.test(key) || e.name.includes('__')) throw new Error(`${relative(process.cwd(), full)}: a ConfigMap key allows letters, digits, "-", "." and "_" only (and no "__" in a file name); rename the file`);
        return [{ path, key, text: readFileSync(full, 'utf8') }];
      });
  const files = [...walk(dirs.rulesDir, 'rules', new Set(['schemas'])), ...walk(dirs.cardsDir, 'cards', new Set())];
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.key) + Buffer.byteLength(f.text), 0);
  if (bytes > MAX_BYTES) throw new Error(`the knowledge files are ${bytes} bytes; a ConfigMap holds at most ${MAX_BYTES}. Ship them in the image instead (docs/operations.md)`);
  return files;
}

export function volumeItems(files: readonly KnowledgeFile[]): VolumeItem[] {
  return files.map((f) => ({ key: f.key, path: f.path }));
}

export function configMapYaml(files: readonly KnowledgeFile[]): string {
  const doc = new Document({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: KNOWLEDGE_CONFIGMAP },
    data: Object.fromEntries(files.map((f) => [f.key, f.text])),
  });
  doc.commentBefore =
    ' Generated from rules/ and cards/ by `npx backpain-cds k8s-knowledge`: do not edit here.\n' +
    ' Edit the files, run `npx backpain-cds validate`, then regenerate and `kubectl apply -k docker/k8s`.';
  return doc.toString({ lineWidth: 0, blockQuote: 'literal' });
}

/** The Deployment's YAML with the knowledge volume's items replaced (comments and layout kept). */
export function withVolumeItems(deploymentYaml: string, items: readonly VolumeItem[]): string {
  const docs = parseAllDocuments(deploymentYaml);
  const doc = docs.find((d) => d.get('kind') === 'Deployment');
  if (!doc || docs.length !== 1) throw new Error('expected exactly one Deployment document');
  const volumes = doc.getIn(['spec', 'template', 'spec', 'volumes']);
  const volume = isSeq(volumes) ? volumes.items.find((v): v is YAMLMap => isMap(v) && v.get('name') === KNOWLEDGE_VOLUME) : undefined;
  if (!volume) throw new Error(`the Deployment has no volume named "${KNOWLEDGE_VOLUME}"`);
  volume.setIn(['configMap', 'items'], doc.createNode(items.map((i) => ({ ...i }))));
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The Deployment's knowledge items, for checks. */
export function deploymentItems(deploymentYaml: string): VolumeItem[] {
  const doc = parseAllDocuments(deploymentYaml)[0];
  const volumes = doc?.toJS() as { spec?: { template?: { spec?: { volumes?: { name: string; configMap?: { items?: VolumeItem[] } }[] } } } } | undefined;
  return volumes?.spec?.template?.spec?.volumes?.find((v) => v.name === KNOWLEDGE_VOLUME)?.configMap?.items ?? [];
}
