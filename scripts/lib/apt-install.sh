# shellcheck shell=bash
# Sourced by scripts/ensure-*.sh: installs Debian packages with apt-get, as root or through sudo.
#
#   APT_NO_APT_GET=(lines...)   what to say when there is no apt-get
#   APT_NO_ROOT=(lines...)      what to say when this is not root and there is no sudo
#   apt_install <tag> <why> <packages...>
#
# Says "<tag>: <why>; installing Debian's <first package> package", then runs apt-get update and
# apt-get install (no recommends), echoing each command after "+ ". When this machine cannot install,
# prints the caller's lines (each after "<tag>: ") on stderr and exits 1. The caller checks that what
# it needed is there afterwards.

APT_NO_APT_GET=()
APT_NO_ROOT=()

apt_install() {
  local tag="$1" why="$2"
  shift 2
  local sudo=()
  if ! command -v apt-get > /dev/null; then
    apt_install_refuse "$tag" "${APT_NO_APT_GET[@]}"
  fi
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null || apt_install_refuse "$tag" "${APT_NO_ROOT[@]}"
    sudo=(sudo)
  fi

  export DEBIAN_FRONTEND=noninteractive
  echo "$tag: $why; installing Debian's $1 package"
  echo "+ ${sudo[*]:+${sudo[*]} }apt-get update -q"
  "${sudo[@]}" apt-get update -q
  echo "+ ${sudo[*]:+${sudo[*]} }apt-get install -y -q --no-install-recommends $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# apt_install_refuse <tag> <lines...>: prints the lines on stderr, each after "<tag>: ", and exits 1.
apt_install_refuse() {
  local tag="$1" line
  shift
  for line in "$@"; do echo "$tag: $line" >&2; done
  exit 1
}
