# bash completion for vcrun: verbs, each verb's flags, and container ids.
# Verbs and flags are read from vcrun's own --help, so they follow the installed binary.
# Installed as share/bash-completion/completions/vcrun (loaded on first `vcrun <TAB>`).

# The command line's vcrun and global flags (--root), to ask the same vcrun about the
# same state directory.
_vcrun_cmd() {
  local i cmd=("${COMP_WORDS[0]}")
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root) cmd+=(--root "${COMP_WORDS[i + 1]}"); ((i++)) ;;
      --root=*) cmd+=("${COMP_WORDS[i]}") ;;
    esac
  done
  printf '%s\n' "${cmd[@]}"
}

# The container ids: `list -q` prints one per line; a vcrun without it prints a table
# whose first column (after the header) is the id.
_vcrun_ids() {
  local -a cmd
  mapfile -t cmd < <(_vcrun_cmd)
  "${cmd[@]}" list -q 2>/dev/null || "${cmd[@]}" list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# `vcrun [VERB] --help` lines "  -b,--bundle TEXT   ..." -> "-b --bundle" (all flags), and
# the flags that take a value.
_vcrun_flags() {
  "${COMP_WORDS[0]}" "$@" --help 2>/dev/null |
    sed -n '/^Options:/,/^$/s/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n'
}
_vcrun_value_flags() {
  "${COMP_WORDS[0]}" "$@" --help 2>/dev/null |
    sed -n '/^Options:/,/^$/s/^  \(-[^ ]*\) [A-Z].*/\1/p' | tr ',' '\n'
}

_vcrun() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local i verb="" verbs
  verbs=$("${COMP_WORDS[0]}" --help 2>/dev/null |
    sed -n '/^Subcommands:/,$s/^  \([a-z][a-z-]*\)  .*/\1/p')
  # The verb: the first word that is neither a global flag nor a global flag's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root | --log | --log-format) ((i++)) ;;
      --) break ;;
      -*) ;;
      *) verb=${COMP_WORDS[i]}; break ;;
    esac
  done
  local -a args=()
  [ -n "$verb" ] && args=("$verb")

  # The value of a flag.
  if [[ $prev == -* ]] && _vcrun_value_flags "${args[@]}" | grep -qx -- "$prev"; then
    local choices
    choices=$("${COMP_WORDS[0]}" "${args[@]}" --help 2>/dev/null |
      sed -n "s/^  [^ ]*${prev}[ ,][^{]*{\([^}]*\)}.*/\1/p" | tr ',' ' ')
    if [ -n "$choices" ]; then
      mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
    else
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_vcrun_flags "${args[@]}")" -- "$cur")
    return
  fi
  if [ -z "$verb" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
    return
  fi
  # After the verb: the container id (the first positional), except for the verbs that
  # take none or make a new one.
  local positional=0
  for ((i = i + 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == -- ]] && return
    [[ ${COMP_WORDS[i]} == -* ]] && continue
    _vcrun_value_flags "$verb" | grep -qx -- "${COMP_WORDS[i - 1]}" && continue
    positional=$((positional + 1))
  done
  case $verb in
    spec | list | features | create | run) return ;;
  esac
  ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "$(_vcrun_ids)" -- "$cur")
  if [ "$verb" = kill ] && ((positional == 1)); then
    mapfile -t COMPREPLY < <(compgen -W "TERM KILL HUP INT QUIT USR1 USR2 STOP CONT" -- "$cur")
  fi
}
complete -F _vcrun vcrun
