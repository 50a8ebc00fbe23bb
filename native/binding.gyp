{
  "targets": [
    {
      "target_name": "warden_journal",
      "sources": ["journal_map.c", "raw_check.c", "thread_sched.c", "chain_hash.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
