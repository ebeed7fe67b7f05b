#!/usr/bin/env bash
# Writes the artifact consumer/consumer.c loads into $1 (manifest.json and
# weights.bin with correct checksums) and prints the SHA-256 of its
# manifest.json, which the consumer's descriptor carries.
set -euo pipefail
dir=$1
mkdir -p "$dir"

# 128 bytes: byte k is (7k + 3) mod 256; "w" is bytes [0, 64), "b" [64, 128).
bytes=""
for ((k = 0; k < 128; ++k)); do
  bytes+=$(printf '\\%03o' $(((7 * k + 3) & 255)))
done
printf "$bytes" > "$dir/weights.bin"
weights_sha=$(sha256sum "$dir/weights.bin" | cut -d' ' -f1)

cat > "$dir/manifest.json" <<JSON
{
  "format": "quantc-artifact",
  "format_version": 1,
  "abi_version": 1,
  "name": "probe",
  "producer": {"tool": "quant-compile", "version": "0.1.0", "llvm": "22.1.0"},
  "source": {"file": "probe.onnx", "sha256": "$weights_sha"},
  "options": "",
  "inputs": [{"name": "x", "dtype": "i32", "shape": [64], "bytes": 256}],
  "outputs": [{"name": "y", "dtype": "i32", "shape": [64], "bytes": 256}],
  "arena_bytes": 64,
  "weights": {"file": "weights.bin", "bytes": 128, "alignment": 64, "sha256": "$weights_sha"},
  "tensors": [
    {"name": "w", "offset": 0, "bytes": 64, "dtype": "u8", "shape": [64], "layout": "rowmajor"},
    {"name": "b", "offset": 64, "bytes": 64, "dtype": "u8", "shape": [64], "layout": "rowmajor"}
  ],
  "targets": [],
  "header": {"file": "probe.h", "sha256": "$weights_sha"}
}
JSON
sha256sum "$dir/manifest.json" | cut -d' ' -f1
