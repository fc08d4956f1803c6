# Sourced by build-base.sh and build.sh: where image work happens and how buildah is called here.
# buildah runs with the vfs storage driver and chroot isolation: the only combination that works on these
# machines (no overlay mounts, no user namespaces for crun).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGES_STATE="$REPO_ROOT/.state/images"
BUILDAH=(buildah --storage-driver vfs)

# Debian suite of the base root filesystem, and the Node version inside it: the one this machine runs, so
# what the tests exercise on the host is what the images run.
BASE_SUITE="${BASE_SUITE:-bookworm}"
NODE_VERSION="${NODE_VERSION:-$(node --version | sed 's/^v//')}"
# The cache key of the base: a new suite or Node version builds a new base, anything else reuses it.
BASE_IMAGE_TAG="localhost/callctl-base:${BASE_SUITE}-node${NODE_VERSION}"
# What the Dockerfiles name by default; build-base.sh keeps it pointing at the newest base.
BASE_IMAGE_ALIAS="localhost/callctl-base:${BASE_SUITE}-node${NODE_VERSION%%.*}"

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# buildah and debootstrap from Debian, installed once.
ensure_image_tools() {
  local missing=() pkg
  for pkg in buildah debootstrap; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  echo "installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

image_exists() { "${BUILDAH[@]}" images --quiet "$1" >/dev/null 2>&1; }
