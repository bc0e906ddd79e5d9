# Sourced: exports MP_PYTHON_38 … MP_PYTHON_313, the pyenv interpreters every interop test runs against, and
# MP_PYTHON_314: scripts/python3.14, CPython 3.14 inside the peer root (scripts/peer-root.sh; tox envs py314, mp314,
# shim314 run inside it). A missing pyenv one is an error that names it (a missing peer is a failure, not a skip); a
# missing peer root fails the 3.14 envs with the reason (scripts/peer-run.sh).
pyenv_root=${PYENV_ROOT:-$( (command -v pyenv >/dev/null && pyenv root) || echo "$HOME/.pyenv")}
export PYENV_ROOT="$pyenv_root"
_mp_missing=()
for _v in 3.8 3.9 3.10 3.11 3.12 3.13; do
  _exe=$(ls -d "$pyenv_root"/versions/"$_v".*/bin/python3 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$_exe" ]; then _mp_missing+=("$_v"); continue; fi
  export "MP_PYTHON_${_v/./}=$_exe"
done
export MP_PYTHON_314="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/python3.14"
if [ ${#_mp_missing[@]} -gt 0 ]; then
  echo "CPython ${_mp_missing[*]} not found under $pyenv_root/versions: install them with pyenv" >&2
  return 1
fi
