{
  "targets": [
    {
      "target_name": "warden_writer",
      "sources": ["batch.c", "ext.c", "napi.c", "row.c", "span.c"],
      "include_dirs": ["<!(node -p \"require('path').join(require('path').dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3')\")"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2", "-fvisibility=hidden"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
