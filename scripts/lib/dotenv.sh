# Sourced by the project's scripts: the one reader of .env files in bash.
#
# dotenv_export FILE: exports each `KEY=value` (or `export KEY=value`) line of FILE, never
# overriding a variable that is already set, so the environment wins over the file. A value may be
# in single or double quotes, taken literally; an unquoted value ends before ` #` (a comment) and
# loses its trailing blanks. Other lines are ignored. The same reading as docker compose's.
dotenv_export() {
  local file="$1" line key value
  while IFS= read -r line || [[ -n $line ]]; do
    line="${line%$'\r'}"
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    [[ -n ${!key+set} ]] && continue
    if [[ $value =~ ^\"(.*)\"[[:space:]]*$ || $value =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%%[[:space:]]#*}"
      value="${value%"${value##*[![:space:]]}"}"
    fi
    export "$key=$value"
  done <"$file"
}
