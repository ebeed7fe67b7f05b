// Embedding, RoPE (interleaved, and rotate-half with a partial rotary
// dimension), a KV-cache write, grouped-query attention with an additive mask
// over the whole cache, and causal attention over a cache prefix.
func.func @main(%ids: tensor<1x3xi64> {qc.name = "ids"}, %pos: tensor<3xi64> {qc.name = "pos"}, %p0: tensor<i64> {qc.name = "p0"}, %kc: tensor<1x2x8x16xf32> {qc.name = "kc"}, %mask: tensor<1x1x3x8xf32> {qc.name = "mask"}) -> (tensor<1x3x32xf32> {qc.name = "emb"}, tensor<1x3x2x16xf32> {qc.name = "rope_i"}, tensor<1x3x2x16xf32> {qc.name = "rope_h"}, tensor<1x2x8x16xf32> {qc.name = "cache"}, tensor<1x4x3x16xf32> {qc.name = "attn"}, tensor<1x4x3x16xf32> {qc.name = "attn_causal"}) {
  %table = qc.constant dense_resource<table> : tensor<11x32xf32> -> tensor<11x32xf32>
  %e = qc.embedding %table, %ids : (tensor<11x32xf32>, tensor<1x3xi64>) -> tensor<1x3x32xf32>
  %x = qc.reshape %e : tensor<1x3x32xf32> -> tensor<1x3x2x16xf32>
  %ri = qc.rope %x, %pos {interleaved = true} : tensor<1x3x2x16xf32>, tensor<3xi64>
  %rh = qc.rope %x, %pos {base = 500000.0 : f64, rotary_dim = 12 : i64} : tensor<1x3x2x16xf32>, tensor<3xi64>
  %kn = qc.transpose %ri {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x2x16xf32> -> tensor<1x2x3x16xf32>
  %c = qc.kv_cache_write %kc, %kn, %p0 : tensor<1x2x8x16xf32>, tensor<1x2x3x16xf32>, tensor<i64>
  %q0 = qc.reshape %e : tensor<1x3x32xf32> -> tensor<1x3x4x8xf32>
  %q1 = qc.concat %q0, %q0 {axis = 3 : i64} : (tensor<1x3x4x8xf32>, tensor<1x3x4x8xf32>) -> tensor<1x3x4x16xf32>
  %q = qc.transpose %q1 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x4x16xf32> -> tensor<1x4x3x16xf32>
  %a = qc.attention %q, %c, %c, %mask : (tensor<1x4x3x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x3x8xf32>) -> tensor<1x4x3x16xf32>
  %kk = qc.slice %c {offsets = array<i64: 0, 0, 0, 0>, sizes = array<i64: 1, 2, 5, 16>, strides = array<i64: 1, 1, 1, 1>} : tensor<1x2x8x16xf32> -> tensor<1x2x5x16xf32>
  %ac = qc.attention %q, %kk, %kk {causal = true, scale = 0.3 : f64} : (tensor<1x4x3x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>) -> tensor<1x4x3x16xf32>
  return %e, %ri, %rh, %c, %a, %ac : tensor<1x3x32xf32>, tensor<1x3x2x16xf32>, tensor<1x3x2x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x3x16xf32>, tensor<1x4x3x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      table: "0x010000006cbf003e7f4607bebdf2233fdfd5d63da12109bffd22b93e79e9a63fe673723ffe2734bf55f9a1bfea8e1fbf6e45293d4ecd14c0ec0a60be037a9fbfe0753bbf8f540bbf18f2a1be3dc1d23e1471853f979e03be46e8ae3f334a2abf21f9b33ed249673f8589c03df8553ebf32f66bbf0a5beabed57a613e2b3b81bf1f3256bee20b23bedb740a3f9acf5b3e69f3b53e506127bf70b904be9eb2483fc028bf3f0f29a1bf41c8c13fa545ac3f0604483fba66873e7ebaa0be6ca0ba3fbfe9fa3ff99be63f5255a83f91fab63e2faa9abffaf391bbbe0e283f07e9a4bf704dca3e1817dc3edb2f323f2d9197bf576529bf7174dfbe12bc95bf9ba3de3f03e8fdbeb56ea83e9f6384be3dafca3f9701a93f6623223f4e060dc0551c553d0f062f3fd081803f282f1ebfab37e93fe203a9bfe75929bf705f6f3f7eed483d332700402d0b413e021922bf0150c1beadaa8bbf068ba3bfa662213f48c7143f1ab4a53fd82d41bfac34d83f7b2493be3686c93f1b96ddbea2483cbfbdc77f3ea806843fb2df243e38e515bf16adabbf0465b3bfd3af003fd55d7d3fd73c28beca8489bfb17f5f3ff3e3a3bfa18b36bf07fb1e3f500210c03cd2c53e6ae614bf09cedf3d67099bbd13f74e3e41b5313f852442bfbde2b53f48e1393fddfe573f431a953f629f493f8a15583fd3d09a3d87a0b6bf43490abee9fe44bf671cb6bfed53843e758c11bfa2d083bf0f8185bff76d893edaa3b73e4946a93f5afa63bc015b853f6a7db33fa138933f246117c082459d3face2ad3e8ff8d83e8511be3ebff8c33e438aa33e7cc3b7bec968f3bfaf0edfbd5fc14dbfcb428a3f34d993be21f5aa3dc77f59bf27b802bf2bf53cbcc620bebf66f3993e693cd9bdabc597bfa67c19c06257033fef5c98bea2ae07bf85d271be4982e83f1afc4bbd7165b13d6758bebf02dcd23f7ee06a3f5291883f7b44433de3a96a3fbeecbd3ef6f91c3f79d81bbe5ca8bcbf80b1833fc2acf7bff5b175be586e51be717c85bfa3f51c3f3b234dbe35addfbe5914053f2b02f4be19cab13febf1b33ec6dbf2beadddf8bf7564a7bf451d8b3f35464fbdc5f590be1256d23fda2da4bfabed15bf03f7f1be331a163f71dd29bff4081dbf8975cdbfa4b63a3f265f4e3fa7e7f3be9642273e6e75a5bf7e91f1beb260b03ffffc0a3effdc1340778549bf858d143fae3248be70d9103f454decbbaeaa0fbf221c5ebff239444016679ebdf81001c0b00a26bf03942d3f8d0000bf1a23ae3f964e803fa9fe1bbe4ac6f1be529d80bf023133bff48fbcbfa8299a3f159ccb3f22c9a0bf634197bf995ee2bf27bf76bf39ce46c0323692bf5301a63ffdfbb0be08c65a3f275afabe8c5de13fcdff4b3ece95c3beea5a23402d21a6be0c519cbf7fc14e3e7d111fbd537d883f33f06bbfee014e3fb94d5a3f8eed2abf7029273e29ac54bfb82116407e4234bf60f9e7be616d88bfcf36b1beaf8bc0bbd48d443fda481cbf873b3ebe864fb5bfa2d053bf275f30407547853f680b48bfd52fabbfccbf79bf08b1b1bcba3e0e3d6b8e3ebf79aea4bf8010b63f5143e73e61c7bfbe03f561be4f8f07bf2be83bc01ce0ec3d990789bff65780bf3de823bf20783b3ff4d395bf8996b7bf58cd233f521e413fae7c75bf4bf90f3fd95095bef8429a3e2567a1bf9238553f64049a3f3b17233f5eef0e3ff56c71c04371853eb272d0bc199316be8f6d21bf62c6623d0d01d33e3e0f87bed238edbe93689d3fab7c8dbf20dc833f540e353efae64dbf827894beb3846bbf07d12c3f2e20b23e328a0ebf7d158dbf887a9a3e3917753f0823e9bd4d32d63ea186c0beb9618a3d092395beb18c963e3a40c1bface9243f6c736bbe7a9bb73e213daebe6206a43ebd4989bf3636983fc00ddabfc70585bf7252713e6a3ebb3f92668e3eb7db7dbe5b69b6bf08de43be1dd5a2bc8e64d83f99431f3f51b9c3bfc0b60140"
    }
  }
#-}
