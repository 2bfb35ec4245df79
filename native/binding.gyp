{
  "targets": [
    {
      "target_name": "chunkwise_native",
      "sources": ["chunkwise_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
