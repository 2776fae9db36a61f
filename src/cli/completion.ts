import { Argument, Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { CLIENTS } from '../init/clients.js';
import { done } from './program.js';

// `toolgate completion bash|zsh`: a completion script generated from the parser definitions
// themselves, so every command, option and choice the CLI accepts completes, and nothing else.

interface Tables {
  /** Command path ("toolgate audit") → what can follow it: subcommands, then options. */
  readonly words: Map<string, string[]>;
  /** "PATH --option" → the option's choices. */
  readonly choices: Map<string, readonly string[]>;
  /** "PATH --option" of options whose value is a file → names offered beside the files. */
  readonly files: Map<string, readonly string[]>;
}

const FILE_VALUE = /<(FILE|PATH|EXPORT|CLIENT\|PATH)>/;
/** `init --from <CLIENT|PATH>`: a known client's name, or a file. */
const CLIENT_VALUE = /<CLIENT\|PATH>/;

const walk = (command: CommandUnknownOpts, path: string, tables: Tables): void => {
  const flags: string[] = ['--help'];
  for (const option of command.options) {
    const names = [option.long, option.short].filter((n): n is string => n !== undefined);
    flags.push(...names);
    for (const name of names) {
      if (option.argChoices) tables.choices.set(`${path} ${name}`, option.argChoices);
      if (FILE_VALUE.test(option.flags))
        tables.files.set(`${path} ${name}`, CLIENT_VALUE.test(option.flags) ? CLIENTS : []);
    }
  }
  // A first argument with choices (`completion <SHELL>`) completes like a subcommand.
  const argument = command.registeredArguments[0]?.argChoices ?? [];
  tables.words.set(path, [...command.commands.map((c) => c.name()), ...argument, ...flags]);
  for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`, tables);
};

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

const assoc = (name: string, entries: Iterable<[string, string]>): string =>
  `declare -A ${name}=(\n${[...entries].map(([k, v]) => `  [${quote(k)}]=${quote(v)}`).join('\n')}\n)`;

/** The bash completion function; zsh runs it through bashcompinit. */
const bashScript = (program: CommandUnknownOpts): string => {
  const tables: Tables = { words: new Map(), choices: new Map(), files: new Map() };
  walk(program, 'toolgate', tables);
  return `# toolgate completion (bash): eval "$(toolgate completion bash)"
${assoc(
  '_toolgate_words',
  [...tables.words].map(([k, v]) => [k, v.join(' ')]),
)}
${assoc(
  '_toolgate_choices',
  [...tables.choices].map(([k, v]) => [k, v.join(' ')]),
)}
${assoc(
  '_toolgate_files',
  [...tables.files].map(([k, v]) => [k, v.join(' ')]),
)}
_toolgate() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} key=toolgate w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $w != -* && -n \${_toolgate_words["$key $w"]+x} ]] && key="$key $w"
  done
  local k
  for k in "$key $prev" "toolgate $prev"; do
    if [[ -n \${_toolgate_choices["$k"]+x} ]]; then
      COMPREPLY=($(compgen -W "\${_toolgate_choices["$k"]}" -- "$cur")); return
    fi
    if [[ -n \${_toolgate_files["$k"]+x} ]]; then
      COMPREPLY=($(compgen -W "\${_toolgate_files["$k"]}" -- "$cur") $(compgen -f -- "$cur")); return
    fi
  done
  local words=\${_toolgate_words["$key"]}
  if [[ $cur != -* && $words != [a-z]* ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _toolgate toolgate
`;
};

const completionScript = (program: CommandUnknownOpts, shell: 'bash' | 'zsh'): string =>
  shell === 'bash'
    ? bashScript(program)
    : `#compdef toolgate\n# toolgate completion (zsh): eval "$(toolgate completion zsh)"\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program)}`;

export const completionCommand = (program: CommandUnknownOpts) =>
  new Command('completion')
    .description('print a shell completion script: eval "$(toolgate completion bash)"')
    .addArgument(new Argument('<SHELL>').choices(['bash', 'zsh'] as const))
    .action((shell) => {
      process.stdout.write(completionScript(program, shell));
      done(0);
    });
