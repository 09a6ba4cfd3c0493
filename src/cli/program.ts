/**
 * `backpain-cds`: the informatician's command line. Every command has --help, --json for machines,
 * and exits non-zero when something is wrong.
 */
import { Command, CommanderError } from 'commander';
import { cardsCommand, type CardsOptions } from './commands/cards.js';
import { explainCommand, type ExplainOptions } from './commands/explain.js';
import { k8sKnowledgeCommand, type K8sKnowledgeOptions } from './commands/k8s-knowledge.js';
import { linksCommand, type LinksOptions } from './commands/links.js';
import { rulesCommand, type RulesOptions } from './commands/rules.js';
import { schemasCommand, type SchemasOptions } from './commands/schemas.js';
import { terminologyGapsCommand, type GapsOptions } from './commands/terminology-gaps.js';
import { testCommand, type TestOptions } from './commands/test.js';
import { validateCommand, type ValidateOptions } from './commands/validate.js';
import { valueSetExpandCommand, valueSetImportCommand, type ExpandOptions, type ImportOptions } from './commands/valueset.js';
import { CliError, type CliIo } from './io.js';

const knowledgeOptions = (cmd: Command): Command =>
  cmd
    .option('--rules <dir>', 'rule and value set folder (default: RULES_DIR or rules/)')
    .option('--cards <dir>', 'card template folder (default: CARDS_DIR or cards/)')
    .option('--json', 'print JSON for machines instead of text');

/*
 * Commander hands an action its options untyped; each action declares the shape its command's
 * .option() calls above it produce (the command module's options interface).
 */
const callOptions = (cmd: Command): Command =>
  cmd
    .option(
      '--service <id>',
      "only this CDS service (default: the services the scenario has expectations for, or every service for the request's hook)",
    )
    .option('--now <iso date>', "request time (default: the scenario's own time, or now for a request file)");

export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('backpain-cds')
    .description('Check, test and explain the backpain-cds rules, value sets and cards.')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    .showHelpAfterError('(add --help for the commands and options)')
    .addHelpText('after', '\nStart with: backpain-cds validate, then backpain-cds test. Guide: docs/informatician-guide.md');

  knowledgeOptions(program.command('validate'))
    .description('check every rule, card, value set, scenario and rule test file, and how they refer to each other')
    .option('--scenarios <dir>', 'scenario folder (default: test/scenarios/)')
    .option('--rule-tests <dir>', 'rule test folder (default: test/rule-tests/)')
    .addHelpText('after', '\nExit code 0 when the files load (warnings allowed), 1 when the service would reject them.')
    .action((options: ValidateOptions) => setExit(validateCommand(options, io)));

  knowledgeOptions(program.command('test'))
    .description('run scenario files through the service in process and compare the cards with what each expects')
    .argument('[paths...]', 'scenario files or folders (default: test/scenarios/)')
    .addHelpText(
      'after',
      '\nExample: backpain-cds test test/scenarios/imaging-defer-acute-41-days.json\nExit code 1 when any scenario fails.',
    )
    .action(async (paths: string[], options: TestOptions) => setExit(await testCommand(paths, options, io)));

  knowledgeOptions(program.command('rules'))
    .description('list every rule: its file and services, its conditions in words, its card, and whether it is live or silent')
    .option('--service <id>', 'only the rules of this CDS service')
    .addHelpText('after', '\nExample: backpain-cds rules --service back-pain-imaging-select')
    .action((options: RulesOptions) => setExit(rulesCommand(options, io)));

  callOptions(knowledgeOptions(program.command('explain')))
    .description("show why each rule fired or not: every condition, the fact's value and the FHIR resource it came from")
    .argument('<file>', 'a scenario file, or a saved CDS Hooks request (JSON with "hook" and "context")')
    .addHelpText('after', '\nExample: backpain-cds explain test/scenarios/imaging-repeat-replaces-defer.json')
    .action(async (file: string, options: ExplainOptions) => setExit(await explainCommand(file, options, io)));

  callOptions(knowledgeOptions(program.command('cards')))
    .description('print the cards as a clinician would read them')
    .argument('<file>', 'a scenario file, or a saved CDS Hooks request (JSON with "hook" and "context")')
    .addHelpText('after', '\nExample: backpain-cds cards test/scenarios/imaging-defer-acute-41-days.json')
    .action(async (file: string, options: CardsOptions) => setExit(await cardsCommand(file, options, io)));

  knowledgeOptions(program.command('links'))
    .description(
      'check that every page in cards/links.json still answers (HEAD, then GET, with a timeout); ' +
        'skipped, with a message, where there is no network',
    )
    .option('--timeout <ms>', 'how long to wait for each page', '10000')
    .option('--probe <host...>', "host names to resolve to decide whether there is network (default: the links' own hosts)")
    .option('--record', "write today's date as lastChecked for every page that answered")
    .addHelpText(
      'after',
      '\nExit code 1 when a page is broken; 0 when all answer or when there is no network (the check is skipped and says so).',
    )
    .action(async (options: LinksOptions) => setExit(await linksCommand(options, io)));

  program
    .command('schemas')
    .description('write the JSON Schemas for editors (rules/schemas/) from the schemas the service checks files with')
    .option('--check', 'only check that the checked-in schemas are up to date')
    .option('--out <dir>', 'folder to write to (default: <rules>/schemas/)')
    .option(
      '--rules <dir>',
      "the rules folder whose valuesets/ give the value set ids editors offer (default: RULES_DIR, else the project's rules/)",
    )
    .option('--json', 'print JSON for machines instead of text')
    .addHelpText(
      'after',
      '\nRun it again after adding or removing a value set: the schemas list the value set ids that exist when it runs.',
    )
    .action((options: SchemasOptions) => setExit(schemasCommand(options, io)));

  knowledgeOptions(program.command('k8s-knowledge'))
    .description(
      'write the rule, value set and card files into the Kubernetes ConfigMap (docker/k8s/knowledge-configmap.yaml) ' +
        "and the Deployment's volume items",
    )
    .option('--check', 'only check that the manifests hold the current files')
    .option('--dir <dir>', 'the manifests folder (default: docker/k8s/)')
    .addHelpText('after', '\nThen: kubectl apply -k docker/k8s. Every pod hot-reloads the new files within about a minute.')
    .action((options: K8sKnowledgeOptions) => setExit(k8sKnowledgeCommand(options, io)));

  const valueset = program
    .command('valueset')
    .description('value set files from published FHIR ValueSets, and their expansions from a terminology server');
  valueset
    .command('import')
    .description(
      'write rules/valuesets/<id>.json from FHIR ValueSet JSON as VSAC, the NHS terminology server or an eCQM package exports it ' +
        '(a ValueSet or a Bundle of them)',
    )
    .argument('<files...>', 'ValueSet or Bundle JSON files')
    .option('--id <id>', 'the value set id (default: a slug of the ValueSet name, since VSAC ids are OIDs)')
    .option('--out <dir>', 'folder to write to (default: the valuesets folder of --rules, RULES_DIR or rules/)')
    .option('--rules <dir>', 'rule and value set folder (default: RULES_DIR or rules/)')
    .option('--json', 'print JSON for machines instead of text')
    .addHelpText(
      'after',
      '\nExample: backpain-cds valueset import ~/Downloads/2.16.840.1.113883.3.526.3.1010.json --id red-flag-cancer\n' +
        'Codings in systems the service does not know are reported and left out.',
    )
    .action((files: string[], options: ImportOptions) => setExit(valueSetImportCommand(files, options, io)));
  valueset
    .command('expand')
    .description("refresh each value set's expansion with $expand on the FHIR terminology server in TERMINOLOGY_SERVER (compose is kept)")
    .argument('[ids...]', 'value set ids (default: every file in rules/valuesets/)')
    .option('--server <url>', 'terminology server base URL (default: TERMINOLOGY_SERVER)')
    .option('--rules <dir>', 'rule and value set folder (default: RULES_DIR or rules/)')
    .option('--json', 'print JSON for machines instead of text')
    .addHelpText(
      'after',
      '\nExample: TERMINOLOGY_SERVER=https://tx.example.org/fhir backpain-cds valueset expand red-flag-cancer\n' +
        'Prints what each expansion gained and lost; the new expansion is in force once the files are committed or reloaded.',
    )
    .action(async (ids: string[], options: ExpandOptions) => setExit(await valueSetExpandCommand(ids, options, io)));
  const terminology = program.command('terminology').description('check the value sets against the codes real records carry');
  knowledgeOptions(terminology.command('gaps'))
    .description(
      'list codes seen in a FHIR Bulk Data export that are in no value set but whose display or text names a red flag: ' +
        'systems, codes, displays and counts only, never patient ids',
    )
    .argument(
      '<paths...>',
      'NDJSON files, or folders holding them (Condition.ndjson, Observation.ndjson, Procedure.ndjson, MedicationRequest.ndjson, ' +
        'MedicationStatement.ndjson, DiagnosticReport.ndjson, ...; .ndjson.gz too)',
    )
    .option('--min <count>', 'leave out codes seen in fewer records than this (default 1)')
    .addHelpText(
      'after',
      '\nExample: backpain-cds terminology gaps ./bulk-export/\n' +
        'Red flag words: the keyword list of each red flag (src/knowledge/red-flag-keywords.ts). ' +
        'Free text a clinician typed is only counted, never printed.\n' +
        'The card log cannot be read for this: it stores which card each rule showed, not the codes in the record, ' +
        'so an export is the only input.',
    )
    .action(async (paths: string[], options: GapsOptions) => setExit(await terminologyGapsCommand(paths, options, io)));

  return program;
}

/** Runs the CLI on the given arguments (without node and the script) and returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      io.err(`backpain-cds: ${err.message}`);
      return 1;
    }
    io.err(`backpain-cds failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  }
}
