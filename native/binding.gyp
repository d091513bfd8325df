{
  "variables": {
    "libtorch%": "<!(node -p \"process.env.MLC_PIPE_LIBTORCH || ''\")",
    "cxx11_abi%": "<!(node -p \"process.env.MLC_PIPE_LIBTORCH_CXX11_ABI || '1'\")",
    "with_nccl%": "<!(node ./cuda.mjs nccl)"
  },
  "targets": [
    {
      "target_name": "mlc_torch",
      "sources": [
        "src/addon.cc", "src/conv.cc", "src/matmul.cc", "src/pool.cc", "src/norm.cc",
        "src/elementwise.cc", "src/reduce.cc", "src/shape.cc", "src/optim.cc", "src/loss.cc", "src/dist.cc", "src/sync_norm.cc", "src/dist_buckets.cc", "src/precision.cc"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-D_GLIBCXX_USE_CXX11_ABI=<(cxx11_abi)", "-Wno-unused-parameter"],
      "conditions": [
        ["with_nccl==1", {
          "defines": ["MLC_WITH_NCCL", "USE_C10D_NCCL", "USE_CUDA"],
          "include_dirs": ["<!@(node ./cuda.mjs includes)"]
        }],
        ["libtorch==''", {
          "include_dirs": ["/usr/include/torch/csrc/api/include"],
          "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"]
        }, {
          "include_dirs": ["<(libtorch)/include", "<(libtorch)/include/torch/csrc/api/include"],
          "libraries": [
            "-L<(libtorch)/lib", "-Wl,-rpath,<(libtorch)/lib", "-Wl,--no-as-needed",
            "<!@(node -e \"const fs=require('fs');const d=process.env.MLC_PIPE_LIBTORCH+'/lib';console.log(['torch','torch_cpu','c10','torch_cuda','c10_cuda'].filter(n=>fs.existsSync(d+'/lib'+n+'.so')).map(n=>'-l'+n).join(' '))\")",
            "-Wl,--as-needed"
          ]
        }]
      ]
    }
  ]
}
