import { FILES } from './candidates.js';

/**
 * Completion scripts. Each asks akictl itself (`akictl __complete --cword N -- WORDS…`) for the candidates at
 * the cursor, so commands, flags, days, step ids and cluster names follow the installed akictl and the
 * configuration in use (--config on the line, or $AKICTL_CONFIG). The program is called by the name the user
 * typed, so `./bin/akictl.js` completes as well as an installed `akictl`.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const bash = `# akictl completion for bash. Load it with: source <(akictl completion bash)
_akictl_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n' candidates
  candidates=$("\${COMP_WORDS[0]}" __complete --cword "$COMP_CWORD" -- "\${COMP_WORDS[@]}" 2>/dev/null) || return 0
  if [[ "$candidates" == "${FILES}" ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  fi
}
complete -o default -F _akictl_complete akictl
`;

const zsh = `#compdef akictl
# akictl completion for zsh. Load it with: source <(akictl completion zsh)
_akictl() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" __complete --cword $((CURRENT - 1)) -- "\${words[@]}" 2>/dev/null)}")
  if [[ "\${candidates[1]}" == "${FILES}" ]]; then
    _files
  else
    compadd -a candidates
  fi
}
if (( $+functions[compdef] )); then compdef _akictl akictl; fi
`;

const fish = `# akictl completion for fish. Load it with: akictl completion fish | source
function __akictl_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -l cword (math (count $tokens) - 1)
    set -l candidates ($tokens[1] __complete --cword $cword -- $tokens 2>/dev/null)
    if test "$candidates[1]" = "${FILES}"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $candidates
    end
end
complete -c akictl -f -a '(__akictl_complete)'
`;

export function completionScript(shell: Shell): string {
  return { bash, zsh, fish }[shell];
}
