#!/bin/sh
# Builds native/writer/ with AddressSanitizer and UndefinedBehaviorSanitizer into fuzz/out/ (gcc):
#   warden_writer_asan.node  the addon, loaded by fuzz/diff.mjs under LD_PRELOAD of libasan/libubsan
#   fuzz_row                 the standalone harness of span.c/row.c (fuzz/fuzz_row.c)
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
sqlite=$(node -p "require('path').join(require('path').dirname(require.resolve('better-sqlite3/package.json', {paths: ['$root']})), 'deps', 'sqlite3')")
nodeinc=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
out="${WARDEN_FUZZ_OUT:-$here/out}"
mkdir -p "$out"
SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
CFLAGS="-std=c11 -Wall -Wextra -Wno-unused-parameter -fPIC -pthread -I$nodeinc -I$sqlite -DNAPI_DISABLE_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION -DNODE_GYP_MODULE_NAME=warden_writer"
cd "$here/.."
gcc $SAN $CFLAGS -shared -o "$out/warden_writer_asan.node" batch.c ext.c napi.c row.c span.c
gcc $SAN $CFLAGS -Wno-deprecated-declarations -o "$out/fuzz_row" fuzz/fuzz_row.c span.c row.c -lcrypto
echo "built $out/warden_writer_asan.node $out/fuzz_row"
