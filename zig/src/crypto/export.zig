//! Entry point for `zig build-lib`, one archive per CPU level. The module
//! `build_options` provides `level` ("baseline", "x86_64_v3" or "x86_64_v4");
//! the archive exports exactly one symbol, `zcrypto_api_<level>`, so several
//! levels can be linked into the same binary without clashes.

const std = @import("std");
const h = @import("zcrypto_h");
const build_options = @import("build_options");
const zcrypto = @import("zcrypto.zig");

/// No code path may panic (inputs are validated, std errors are mapped). Should
/// one be reached anyway, trap: this keeps std's stack-trace printer (DWARF
/// reader, stderr, Io runtime) and the libc symbols it needs out of the archive.
pub const panic = std.debug.no_panic;

const level: [:0]const u8 = std.fmt.comptimePrint("{s}", .{build_options.level});

/// The static table; lives in read-only (relocated) data.
const table: h.zc_api = zcrypto.api(level);

fn getApi() callconv(.c) [*c]const h.zc_api {
    return &table;
}

comptime {
    @export(&getApi, .{ .name = "zcrypto_api_" ++ build_options.level });
}
