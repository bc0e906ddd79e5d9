# Sourced: exports MP_PYTHON_38 … MP_PYTHON_313, the pyenv interpreters every interop test runs against.
# A missing one is an error that names it (a missing peer is a failure, not a skip).
pyenv_root=${PYENV_ROOT:-$( (command -v pyenv >/dev/null && pyenv root) || echo "$HOME/.pyenv")}
export PYENV_ROOT="$pyenv_root"
_mp_missing=()
for _v in 3.8 3.9 3.10 3.11 3.12 3.13; do
  _exe=$(ls -d "$pyenv_root"/versions/"$_v".*/bin/python3 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$_exe" ]; then _mp_missing+=("$_v"); continue; fi
  export "MP_PYTHON_${_v/./}=$_exe"
done
if [ ${#_mp_missing[@]} -gt 0 ]; then
  echo "CPython ${_mp_missing[*]} not found under $pyenv_root/versions: install them with pyenv" >&2
  return 1
fi
