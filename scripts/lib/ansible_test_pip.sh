# shellcheck shell=bash
# ansible-test --venv bootstraps pip with a get-pip script it downloads from a host that offline
# machines (and some CI runners) cannot reach. Write an equivalent bootstrap into ansible-test's
# cache: ensurepip in a subprocess, then the pip version ansible-test asked for from the index.
prime_ansible_test_pip() {
  local req ver cache
  req=$("$PY" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
  ver=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$req" | head -n 1)
  [ -n "$ver" ] || { echo "could not find the pip version ansible-test wants in $req" >&2; return 1; }
  cache="${HOME}/.ansible/test/cache"
  mkdir -p "$cache"
  [ -f "$cache/get_pip_${ver//./_}.py" ] && return 0
  cat >"$cache/get_pip_${ver//./_}.py" <<PY
# Stand-in for ansible-test's downloaded get-pip-${ver}.py (written by amlops.bcdr's scripts/lib).
import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '-q'] + args))
PY
}
