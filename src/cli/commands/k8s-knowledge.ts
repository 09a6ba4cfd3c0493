import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { projectRoot } from '../../paths.js';
import { configMapYaml, knowledgeFiles, volumeSources, withVolumeSources } from '../../ops/k8s-knowledge.js';
import { CliError, type CliIo } from '../io.js';
import { knowledgeDirs, loadForCli, type KnowledgeOptions } from '../knowledge.js';

export interface K8sKnowledgeOptions extends KnowledgeOptions {
  check?: boolean;
  dir?: string;
  json?: boolean;
}

/** Writes (or checks) docker/k8s/knowledge-configmap.yaml and the Deployment's volume items. */
export function k8sKnowledgeCommand(options: K8sKnowledgeOptions, io: CliIo): number {
  // Never ship files the service would refuse: the pods would keep their last good set and say so only in the log.
  loadForCli(options);
  const dir = resolve(options.dir ?? join(projectRoot, 'docker/k8s'));
  const deploymentFile = join(dir, 'deployment.yaml');
  if (!existsSync(deploymentFile)) throw new CliError(`${deploymentFile} not found (use --dir for your manifests folder)`);
  const files = knowledgeFiles(knowledgeDirs(options));
  const wanted = new Map([
    [join(dir, 'knowledge-configmap.yaml'), configMapYaml(files)],
    [deploymentFile, withVolumeSources(readFileSync(deploymentFile, 'utf8'), volumeSources(files))],
  ]);
  const stale = [...wanted].filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text).map(([file]) => file);
  const shown = stale.map((f) => relative(process.cwd(), f) || f);
  if (options.check) {
    if (options.json) io.out(JSON.stringify({ ok: stale.length === 0, outOfDate: shown, files: files.length }, null, 2));
    else if (stale.length) io.out(`✘ out of date with the rule and card files: ${shown.join(', ')}. Run: npx backpain-cds k8s-knowledge`);
    else io.out(`✔ the ConfigMap holds the ${files.length} current rule, value set and card files.`);
    return stale.length ? 1 : 0;
  }
  for (const file of stale) writeFileSync(file, wanted.get(file) ?? '');
  if (options.json) io.out(JSON.stringify({ ok: true, written: shown, files: files.length }, null, 2));
  else
    io.out(
      stale.length
        ? `Wrote ${shown.join(' and ')} (${files.length} files). Apply with: kubectl apply -k ${relative(process.cwd(), dir) || '.'}`
        : 'Already up to date.',
    );
  return 0;
}
