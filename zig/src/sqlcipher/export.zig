//! Entry point for `zig build-lib`, one archive per CPU level: exports only
//! `zsqlcipher_api_<level>`, the provider table of zsqlcipher.h.

const std = @import("std");
const h = @import("zsqlcipher_h");
const build_options = @import("build_options");
const provider = @import("provider.zig");

pub const panic = std.debug.no_panic;

const level: [:0]const u8 = std.fmt.comptimePrint("{s}", .{build_options.level});

const table: h.zsqlcipher_api = provider.api(level);

fn getApi() callconv(.c) [*c]const h.zsqlcipher_api {
    return &table;
}

comptime {
    @export(&getApi, .{ .name = "zsqlcipher_api_" ++ build_options.level });
}
