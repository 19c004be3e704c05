//! Entry point for `zig build-lib`, one archive per CPU level: the C ABI of
//! `zig/include/ghostllm.h` (checked against the header through translate-c), exported
//! as one symbol, `ghostllm_api_<level>`, returning the function table.

const std = @import("std");
const h = @import("ghostllm_h");
const build_options = @import("build_options");
const gguf = @import("gguf.zig");
const model_mod = @import("model.zig");
const Context = @import("forward.zig").Context;
const tokenizer = @import("tokenizer.zig");
const tokenizer_gguf = @import("tokenizer_gguf.zig");
const sampler_mod = @import("sampler.zig");
const chat_template = @import("chat_template.zig");

/// Every input is validated and every error mapped to a status; a trap (never a
/// stack-trace printer) is the last resort, as in ZCrypto.
pub const panic = std.debug.no_panic;

const gpa = std.heap.c_allocator;

/// The opaque `gl_model`: weights, tokenizer and chat template family.
const Handle = struct {
    model: *model_mod.Model,
    tok: tokenizer.Tokenizer,
    template: ?chat_template.Template,
};

/// The opaque `gl_gen`: one sequence with its own KV cache.
const Gen = struct {
    handle: *Handle,
    ctx: *Context,
    sampler: sampler_mod.Sampler,
    decoder: tokenizer.StreamDecoder = .{},
    text: std.ArrayList(u8) = .empty,
    pos: usize = 0,
};

fn handleOf(m: ?*const h.gl_model) *Handle {
    return @ptrCast(@alignCast(@constCast(m.?)));
}

fn genOf(g: ?*const h.gl_gen) *Gen {
    return @ptrCast(@alignCast(@constCast(g.?)));
}

fn writeMessage(err: [*c]u8, cap: usize, text: []const u8) void {
    if (err == null or cap == 0) return;
    const n = @min(text.len, cap - 1);
    @memcpy(err[0..n], text[0..n]);
    err[n] = 0;
}

fn modelLoad(data: [*c]const u8, len: usize, threads: u32, out: [*c]?*h.gl_model, err: [*c]u8, err_cap: usize) callconv(.c) c_int {
    var msg: model_mod.Message = .{};
    if (data == null or out == null) return h.GL_ERR_PARAMS;
    const m = model_mod.load(gpa, data[0..len], threads, &msg) catch |e| {
        writeMessage(err, err_cap, if (e == error.OutOfMemory) "out of memory" else msg.slice());
        return switch (e) {
            error.Invalid => h.GL_ERR_INVALID,
            error.Unsupported => h.GL_ERR_UNSUPPORTED,
            error.OutOfMemory => h.GL_ERR_NOMEM,
        };
    };
    const handle = gpa.create(Handle) catch {
        m.deinit();
        gpa.destroy(m);
        writeMessage(err, err_cap, "out of memory");
        return h.GL_ERR_NOMEM;
    };
    const tok = tokenizer_gguf.tokenizerFromGguf(gpa, &m.file) catch |e| {
        msg.set("cannot build the tokenizer from the GGUF metadata: {s}", .{@errorName(e)});
        writeMessage(err, err_cap, msg.slice());
        gpa.destroy(handle);
        m.deinit();
        gpa.destroy(m);
        return switch (e) {
            error.OutOfMemory => h.GL_ERR_NOMEM,
            error.UnsupportedTokenizer => h.GL_ERR_UNSUPPORTED,
            else => h.GL_ERR_INVALID,
        };
    };
    const template: ?chat_template.Template = if (tokenizer_gguf.chatTemplateText(&m.file)) |text|
        chat_template.Template.detect(text)
    else if (m.arch == .gemma3) .gemma else null;
    handle.* = .{ .model = m, .tok = tok, .template = template };
    out[0] = @ptrCast(handle);
    return h.GL_OK;
}

fn modelFree(m: ?*h.gl_model) callconv(.c) void {
    if (m == null) return;
    const handle = handleOf(m);
    handle.tok.deinit();
    handle.model.deinit();
    gpa.destroy(handle.model);
    gpa.destroy(handle);
}

fn modelInfo(m: ?*const h.gl_model, info: [*c]h.gl_model_info) callconv(.c) void {
    const handle = handleOf(m);
    const hp = handle.model.hp;
    info.* = .{
        .n_vocab = @intCast(hp.n_vocab),
        .n_ctx_train = @intCast(hp.n_ctx_train),
        .n_embd = @intCast(hp.n_embd),
        .n_layer = @intCast(hp.n_layer),
        .n_head = @intCast(hp.n_head),
        .n_head_kv = @intCast(hp.n_head_kv),
        .n_ff = @intCast(hp.n_ff),
        .bos = if (handle.tok.bos) |b| @intCast(b) else -1,
        .eos = if (handle.tok.eos) |e| @intCast(e) else -1,
        .weight_bytes = handle.model.weightBytes(),
    };
}

fn metaCount(m: ?*const h.gl_model) callconv(.c) usize {
    return handleOf(m).model.file.kvs.len;
}

fn metaAt(m: ?*const h.gl_model, i: usize, key: [*c][*c]const u8, key_len: [*c]usize, text: [*c][*c]const u8, text_len: [*c]usize, number: [*c]f64) callconv(.c) c_int {
    const kvs = handleOf(m).model.file.kvs;
    if (i >= kvs.len) return h.GL_ERR_PARAMS;
    const kv = kvs[i];
    key.* = kv.key.ptr;
    key_len.* = kv.key.len;
    text.* = null;
    text_len.* = 0;
    number.* = 0;
    switch (kv.value) {
        .string => |s| {
            text.* = s.ptr;
            text_len.* = s.len;
            return h.GL_META_STRING;
        },
        .int => |v| number.* = @floatFromInt(v),
        .uint => |v| number.* = @floatFromInt(v),
        .float => |v| {
            number.* = v;
            return h.GL_META_FLOAT;
        },
        .boolean => |b| {
            number.* = if (b) 1 else 0;
            return h.GL_META_BOOL;
        },
        .array => return h.GL_META_OTHER,
    }
    return h.GL_META_INT;
}

fn chatTemplateName(m: ?*const h.gl_model) callconv(.c) [*c]const u8 {
    const t = handleOf(m).template orelse return null;
    return switch (t) {
        inline else => |v| comptime v.name() ++ "",
    };
}

fn poolThreads(m: ?*const h.gl_model) callconv(.c) u32 {
    return @intCast(handleOf(m).model.pool.count);
}

fn poolWorker(m: ?*h.gl_model, index: u32) callconv(.c) void {
    const pool = &handleOf(m).model.pool;
    if (index == 0 or index >= pool.count) return;
    pool.workerLoop(index);
}

fn poolStop(m: ?*h.gl_model) callconv(.c) void {
    handleOf(m).model.pool.stop();
}

fn tokenize(m: ?*const h.gl_model, text: [*c]const u8, len: usize, add_special: c_int, parse_special: c_int, out: [*c]u32, cap: usize) callconv(.c) i64 {
    const handle = handleOf(m);
    const input: []const u8 = if (len == 0) "" else text[0..len];
    const ids = handle.tok.encode(gpa, input, add_special != 0, parse_special != 0) catch |e| return switch (e) {
        error.OutOfMemory => h.GL_ERR_NOMEM,
        else => h.GL_ERR_INVALID,
    };
    defer gpa.free(ids);
    if (ids.len <= cap) @memcpy(out[0..ids.len], ids);
    return @intCast(ids.len);
}

fn detokenize(m: ?*const h.gl_model, ids: [*c]const u32, n: usize, special: c_int, out: [*c]u8, cap: usize) callconv(.c) i64 {
    const handle = handleOf(m);
    const list: []const u32 = if (n == 0) &.{} else ids[0..n];
    for (list) |id| if (id >= handle.tok.vocabSize()) return h.GL_ERR_BAD_TOKEN;
    const text = handle.tok.decode(gpa, list, .{ .remove_special = special == 0, .unparse_special = special != 0 }) catch |e| return switch (e) {
        error.OutOfMemory => h.GL_ERR_NOMEM,
        else => h.GL_ERR_BAD_TOKEN,
    };
    defer gpa.free(text);
    if (text.len <= cap) @memcpy(out[0..text.len], text);
    return @intCast(text.len);
}

fn chatRender(name: [*c]const u8, name_len: usize, roles: [*c]const [*c]const u8, role_lens: [*c]const usize, contents: [*c]const [*c]const u8, content_lens: [*c]const usize, n: usize, add_assistant: c_int, out: [*c]u8, cap: usize) callconv(.c) i64 {
    const template = chat_template.Template.fromName(name[0..name_len]) orelse return h.GL_ERR_UNSUPPORTED;
    const messages = gpa.alloc(chat_template.Message, n) catch return h.GL_ERR_NOMEM;
    defer gpa.free(messages);
    for (messages, 0..) |*msg, i| msg.* = .{
        .role = if (role_lens[i] == 0) "" else roles[i][0..role_lens[i]],
        .content = if (content_lens[i] == 0) "" else contents[i][0..content_lens[i]],
    };
    const text = chat_template.render(gpa, template, messages, add_assistant != 0) catch return h.GL_ERR_NOMEM;
    defer gpa.free(text);
    if (text.len <= cap) @memcpy(out[0..text.len], text);
    return @intCast(text.len);
}

fn genCreate(m: ?*h.gl_model, n_ctx: u32, n_batch: u32, sampling: [*c]const h.gl_sampling, out: [*c]?*h.gl_gen) callconv(.c) c_int {
    const handle = handleOf(m);
    if (n_ctx == 0 or n_ctx > 1 << 20 or n_batch == 0) return h.GL_ERR_PARAMS;
    const s = sampling.*;
    const params: sampler_mod.Params = .{
        .temperature = s.temperature,
        .top_k = s.top_k,
        .top_p = s.top_p,
        .min_p = s.min_p,
        .repeat_penalty = s.repeat_penalty,
        .presence_penalty = s.presence_penalty,
        .frequency_penalty = s.frequency_penalty,
        .penalty_last_n = s.penalty_last_n,
        .seed = s.seed,
    };
    var sampler = sampler_mod.Sampler.init(gpa, @intCast(handle.model.hp.n_vocab), params) catch |e| return switch (e) {
        error.OutOfMemory => h.GL_ERR_NOMEM,
        error.InvalidParams => h.GL_ERR_PARAMS,
    };
    errdefer sampler.deinit(gpa);
    const ctx = Context.init(gpa, handle.model, n_ctx, n_batch) catch return h.GL_ERR_NOMEM;
    errdefer ctx.deinit();
    const g = gpa.create(Gen) catch return h.GL_ERR_NOMEM;
    g.* = .{ .handle = handle, .ctx = ctx, .sampler = sampler };
    g.text.ensureTotalCapacity(gpa, 1024) catch {
        gpa.destroy(g);
        return h.GL_ERR_NOMEM;
    };
    out[0] = @ptrCast(g);
    return h.GL_OK;
}

fn genFree(g: ?*h.gl_gen) callconv(.c) void {
    if (g == null) return;
    const gen = genOf(g);
    gen.text.deinit(gpa);
    gen.sampler.deinit(gpa);
    gen.ctx.deinit();
    gpa.destroy(gen);
}

fn genMemory(g: ?*const h.gl_gen) callconv(.c) usize {
    const gen = genOf(g);
    return gen.ctx.memoryBytes() + gen.sampler.cands.len * 12;
}

fn genPosition(g: ?*const h.gl_gen) callconv(.c) u32 {
    return @intCast(genOf(g).pos);
}

fn genEval(g: ?*h.gl_gen, ids: [*c]const u32, n: usize) callconv(.c) c_int {
    const gen = genOf(g);
    if (n == 0) return h.GL_ERR_PARAMS;
    const list = ids[0..n];
    gen.ctx.decode(list, gen.pos) catch |e| return switch (e) {
        error.ContextFull => h.GL_ERR_CONTEXT_FULL,
        error.BadToken => h.GL_ERR_BAD_TOKEN,
        error.OutOfMemory => h.GL_ERR_NOMEM,
    };
    gen.pos += n;
    for (list) |id| gen.sampler.accept(id);
    return h.GL_OK;
}

fn genLogits(g: ?*const h.gl_gen) callconv(.c) [*c]const f32 {
    return genOf(g).ctx.logits.ptr;
}

fn genSample(g: ?*h.gl_gen, id: [*c]u32, is_eog: [*c]c_int) callconv(.c) c_int {
    const gen = genOf(g);
    if (gen.pos == 0) return h.GL_ERR_PARAMS;
    const next = gen.sampler.sample(gen.ctx.logits);
    id.* = next;
    is_eog.* = @intFromBool(gen.handle.tok.isEog(next));
    return h.GL_OK;
}

fn genPiece(g: ?*h.gl_gen, id: u32, text: [*c][*c]const u8) callconv(.c) i64 {
    const gen = genOf(g);
    if (id >= gen.handle.tok.vocabSize()) return h.GL_ERR_BAD_TOKEN;
    gen.text.clearRetainingCapacity();
    gen.decoder.push(gpa, &gen.text, gen.handle.tok.piece(id, false)) catch return h.GL_ERR_NOMEM;
    text.* = gen.text.items.ptr;
    return @intCast(gen.text.items.len);
}

fn genFinish(g: ?*h.gl_gen, text: [*c][*c]const u8) callconv(.c) i64 {
    const gen = genOf(g);
    gen.text.clearRetainingCapacity();
    gen.decoder.finish(gpa, &gen.text) catch return h.GL_ERR_NOMEM;
    text.* = gen.text.items.ptr;
    return @intCast(gen.text.items.len);
}

const level: [:0]const u8 = std.fmt.comptimePrint("{s}", .{build_options.level});

const table: h.gl_api = .{
    .abi_version = h.GL_ABI_VERSION,
    .level = level.ptr,
    .model_load = modelLoad,
    .model_free = modelFree,
    .model_info = modelInfo,
    .meta_count = metaCount,
    .meta_at = metaAt,
    .chat_template_name = chatTemplateName,
    .pool_threads = poolThreads,
    .pool_worker = poolWorker,
    .pool_stop = poolStop,
    .tokenize = tokenize,
    .detokenize = detokenize,
    .chat_render = chatRender,
    .gen_create = genCreate,
    .gen_free = genFree,
    .gen_memory = genMemory,
    .gen_position = genPosition,
    .gen_eval = genEval,
    .gen_logits = genLogits,
    .gen_sample = genSample,
    .gen_piece = genPiece,
    .gen_finish = genFinish,
};

fn getApi() callconv(.c) [*c]const h.gl_api {
    return &table;
}

comptime {
    @export(&getApi, .{ .name = "ghostllm_api_" ++ build_options.level });
}
