#!/usr/bin/env bash
# Builds fleetpatch_<version>_<arch>.deb and fleetpatch-dbgsym_<version>_<arch>.deb from an
# already-built CMake tree: cmake --install into a staging root, split the debug symbols off the
# binary (kept by build id, like dh_strip), compress the man pages and the changelog, compute the
# shared-library dependencies with dpkg-shlibdeps, and dpkg-deb --build.
# Usage: packaging/build-deb.sh BUILD_DIR OUT_DIR   (prints the two .deb paths)
set -euo pipefail

build=$(cd "$1" && pwd)
# Nothing is compiled here when the tree is up to date: only the binary and the generated docs.
cmake --build "$build" --target fleetpatch fp_docs >/dev/null
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
version=$("$build/fleetpatch" --version | cut -d" " -f2)
debversion="$version-1"
arch=$(dpkg --print-architecture)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/fleetpatch"
dbg="$work/fleetpatch-dbgsym"
DESTDIR="$root" cmake --install "$build" --prefix /usr >/dev/null

# Debug symbols: the stripped binary keeps a build id and a debuglink to /usr/lib/debug.
bin="$root/usr/bin/fleetpatch"
build_id=$(readelf -n "$bin" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
[ -n "$build_id" ] || { echo "build-deb: $bin has no build id" >&2; exit 1; }
debug_file="$dbg/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug"
mkdir -p "$(dirname "$debug_file")"
objcopy --only-keep-debug --compress-debug-sections "$bin" "$debug_file"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$bin"
objcopy --add-gnu-debuglink="$debug_file" "$bin"

# Debian layout: compressed man pages and changelog, copyright, modes.
gzip -9n "$root"/usr/share/man/man1/*.1
gzip -9nc "$here/changelog" > "$root/usr/share/doc/fleetpatch/changelog.Debian.gz"
install -m 0644 "$here/copyright" "$root/usr/share/doc/fleetpatch/copyright"
mkdir -p "$dbg/usr/share/doc"
ln -s fleetpatch "$dbg/usr/share/doc/fleetpatch-dbgsym"
for d in "$root" "$dbg"; do
  find "$d" -type d -exec chmod 0755 {} +
  find "$d" -type f -exec chmod 0644 {} +
done
chmod 0755 "$bin"

# Depends from the libraries the binary links (dpkg-shlibdeps wants a debian/control to exist).
mkdir -p "$work/src/debian"
printf 'Source: fleetpatch\n\nPackage: fleetpatch\nArchitecture: any\n' > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

control() {  # control PACKAGE_ROOT
  mkdir -p "$1/DEBIAN"
  (cd "$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0r md5sum) > "$1/DEBIAN/md5sums"
  chmod 0644 "$1/DEBIAN/md5sums"
}
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
control "$root"
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" \
  "$here/control.in" > "$root/DEBIAN/control"
dbg_size=$(du -sk --exclude=DEBIAN "$dbg" | cut -f1)
control "$dbg"
cat > "$dbg/DEBIAN/control" <<CONTROL
Package: fleetpatch-dbgsym
Source: fleetpatch
Version: $debversion
Auto-Built-Package: debug-symbols
Architecture: $arch
Maintainer: fleetpatch maintainers <maintainers@users.noreply.r-seed-74d69dac.example>
Installed-Size: $dbg_size
Depends: fleetpatch (= $debversion)
Section: debug
Priority: optional
Description: debug symbols for fleetpatch
Build-Ids: $build_id
CONTROL

# xz -1 for the debug symbols: ~100 MiB of DWARF at the default level takes minutes on 2 cores.
for pkg in fleetpatch fleetpatch-dbgsym; do
  deb="$out/${pkg}_${debversion}_${arch}.deb"
  level=$([ "$pkg" = fleetpatch ] && echo 9 || echo 1)
  dpkg-deb --root-owner-group -Zxz -z"$level" --build "$work/$pkg" "$deb" >/dev/null
  echo "$deb"
done
