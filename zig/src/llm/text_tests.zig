//! Test root for the text side of the engine (scripts/test.js runs it from the
//! repository root with GHOSTKIT_GEMMA_GGUF set): tokenizer, sampler, chat templates, and
//! the tokenizer against llama.cpp's fixtures on real vocabularies.
test {
    _ = @import("tokenizer.zig");
    _ = @import("sampler.zig");
    _ = @import("chat_template.zig");
    _ = @import("tokenizer_fixtures_test.zig");
}
