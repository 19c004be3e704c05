//! GhostLLM: `zig/src/llm` built once per CPU level, in parallel. Each archive exports
//! one symbol, `ghostllm_api_<level>`, returning the function table of `ghostllm.h`.
//! The archive links libc (its allocator); the host process provides it.

use crate::zig::{LevelLib, Module, Toolchain};

pub fn build(tc: &Toolchain) {
    tc.watch("include/ghostllm.h");
    tc.watch("src/llm");

    let header_zig = tc.out_dir.join("ghostllm_h.zig");
    tc.translate_header(&tc.zig_dir.join("include/ghostllm.h"), &header_zig);

    tc.build_levels(&LevelLib {
        name: "ghostllm",
        root: tc.zig_dir.join("src/llm/export.zig"),
        root_deps: &["ghostllm_h"],
        modules: vec![Module {
            name: "ghostllm_h",
            path: header_zig,
            deps: &[],
        }],
        extra_flags: &["-lc"],
    });
}
