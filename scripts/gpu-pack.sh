#!/usr/bin/env bash
# Packs a CUDA build of chainexec for a GPU machine that has the NVIDIA
# driver but none of chainexec's build dependencies (no apt there): the
# executables and test programs of a Release build with CUDA, the shared
# libraries they load (beside glibc), and ../shared (fixtures, vectors).
# The result is .devpkg/ in the repository root (ignored by git); on the GPU
# machine run `scripts/gpu-check.sh` from the repository root.
#
#   scripts/gpu-pack.sh [--arch 90] [--build DIR] [--outline]
#
# --outline packs the CHAINEXEC_GPU_OUTLINE variant (build-dev-outline by
# default), whose device run is the open question of docs/gpu.md: its
# gpu-check.sh run starts with the operation test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arch=90
build="" outline=OFF
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --outline) outline=ON; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "gpu-pack: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] ||
  { echo "gpu-pack: nvcc not found: install the CUDA toolkit" >&2; exit 1; }
shared="$root/../shared"
[ -d "$shared/fixtures" ] || { echo "gpu-pack: $shared/fixtures missing" >&2; exit 1; }

[ -n "$build" ] || build="$root/build-dev$([ $outline = ON ] && echo -outline)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCHAINEXEC_CUDA=ON \
  -DCHAINEXEC_CUDA_ARCHITECTURES="$arch" -DCHAINEXEC_GPU_OUTLINE="$outline" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

pkg="$root/.devpkg"
rm -rf "$pkg"
mkdir -p "$pkg/lib" "$pkg/shared"
# The build tree keeps its absolute path on the GPU machine (gpu-check.sh
# links it back), so CTest's files work unchanged. Only what runs travels.
rel=${build#"$root"/}
(cd "$root" && find "$rel" \( -name CTestTestfile.cmake -o -name '*.sh' \
  -o \( -type f -perm -u+x ! -name '*.so*' ! -path '*/CMakeFiles/*' \) \) \
  -print0 | tar --null -T - -cf - | (mkdir -p "$pkg/tree" && tar -xf - -C "$pkg/tree"))
find "$pkg/tree" -type f -perm -u+x ! -name '*.sh' -exec strip --strip-unneeded {} + 2>/dev/null || true
echo "$root" >"$pkg/root"
echo "$rel" >"$pkg/build"
# Shared libraries: everything the programs load except glibc's own and
# the C/C++ runtime (the GPU machine has newer ones) and the CUDA driver.
find "$pkg/tree" -type f -perm -u+x ! -name '*.sh' -exec ldd {} + 2>/dev/null |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*|libgcc_s|libstdc\+\+|libcuda)\.so' |
  while read -r lib; do cp -L "$lib" "$pkg/lib/"; done
cp -r "$shared/fixtures" "$shared/vectors" "$pkg/shared/"
# One compressed bundle: the programs share most of their bytes (cudart,
# the kernels' fatbin), so this is about a third of the plain size.
(cd "$pkg" && tar -czf bundle.tar.gz tree lib shared && rm -rf tree lib shared)
du -sh "$pkg" | awk '{print "gpu-pack: .devpkg is " $1 " (carry limit 64 MiB)"}'
