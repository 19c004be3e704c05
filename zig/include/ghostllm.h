/* GhostLLM: the C ABI of the GGUF inference engine (zig/src/llm).
 *
 * One archive per CPU level exports `ghostllm_api_<level>` returning a static table.
 * The caller maps the GGUF file and keeps the bytes alive until `model_free`. The
 * engine never creates threads: the caller runs `pool_worker(model, i)` on threads
 * 1..pool_threads-1 and calls `pool_stop` before `model_free`. Calls that run the
 * forward pass (`gen_eval`) use the model's pool and must not overlap on one model.
 */
#ifndef GHOSTLLM_H
#define GHOSTLLM_H

#include <stddef.h>
#include <stdint.h>

#define GL_ABI_VERSION 1

#define GL_OK 0
#define GL_ERR_INVALID (-1)
#define GL_ERR_UNSUPPORTED (-2)
#define GL_ERR_NOMEM (-3)
#define GL_ERR_CONTEXT_FULL (-4)
#define GL_ERR_BAD_TOKEN (-5)
#define GL_ERR_PARAMS (-6)

#define GL_META_OTHER 0
#define GL_META_STRING 1
#define GL_META_INT 2
#define GL_META_FLOAT 3
#define GL_META_BOOL 4

typedef struct gl_model gl_model;
typedef struct gl_gen gl_gen;

typedef struct gl_model_info {
  uint32_t n_vocab;
  uint32_t n_ctx_train;
  uint32_t n_embd;
  uint32_t n_layer;
  uint32_t n_head;
  uint32_t n_head_kv;
  uint32_t n_ff;
  /* -1 when the vocabulary has none */
  int32_t bos;
  int32_t eos;
  uint64_t weight_bytes;
} gl_model_info;

typedef struct gl_sampling {
  float temperature;
  float top_p;
  float min_p;
  float repeat_penalty;
  float presence_penalty;
  float frequency_penalty;
  uint32_t top_k;
  uint32_t penalty_last_n;
  uint64_t seed;
} gl_sampling;

typedef struct gl_api {
  uint32_t abi_version;
  const char *level;
  /* Opens a model over `data`; on failure writes a NUL-terminated message into `err`. */
  int (*model_load)(const uint8_t *data, size_t len, uint32_t threads, gl_model **out, char *err, size_t err_cap);
  void (*model_free)(gl_model *model);
  void (*model_info)(const gl_model *model, gl_model_info *info);
  size_t (*meta_count)(const gl_model *model);
  /* Entry i: its key, and its value as text (GL_META_STRING) or number; returns the kind. */
  int (*meta_at)(const gl_model *model, size_t i, const uint8_t **key, size_t *key_len, const uint8_t **text,
                 size_t *text_len, double *number);
  /* The chat template family ("gemma", "llama3"…) detected from the metadata, or NULL. */
  const char *(*chat_template_name)(const gl_model *model);
  uint32_t (*pool_threads)(const gl_model *model);
  void (*pool_worker)(gl_model *model, uint32_t index);
  void (*pool_stop)(gl_model *model);
  /* Token ids of `text`; returns their count (which may exceed `cap`: call again) or an error. */
  int64_t (*tokenize)(const gl_model *model, const uint8_t *text, size_t len, int add_special, int parse_special,
                      uint32_t *out, size_t cap);
  /* Text of `ids`; returns its byte length (which may exceed `cap`) or an error. */
  int64_t (*detokenize)(const gl_model *model, const uint32_t *ids, size_t n, int special, uint8_t *out, size_t cap);
  /* Renders messages with a template family by name; returns the byte length (may exceed cap) or an error. */
  int64_t (*chat_render)(const uint8_t *name, size_t name_len, const uint8_t *const *roles, const size_t *role_lens,
                         const uint8_t *const *contents, const size_t *content_lens, size_t n, int add_assistant,
                         uint8_t *out, size_t cap);
  /* A generation: its own KV cache of n_ctx tokens, sampler and streaming detokenizer. */
  int (*gen_create)(gl_model *model, uint32_t n_ctx, uint32_t n_batch, const gl_sampling *sampling, gl_gen **out);
  void (*gen_free)(gl_gen *gen);
  size_t (*gen_memory)(const gl_gen *gen);
  uint32_t (*gen_position)(const gl_gen *gen);
  /* Appends `ids` to the sequence and computes the logits after the last one. */
  int (*gen_eval)(gl_gen *gen, const uint32_t *ids, size_t n);
  /* The n_vocab logits of the last eval. */
  const float *(*gen_logits)(const gl_gen *gen);
  /* Samples the next id from the logits; *is_eog says it ends generation. */
  int (*gen_sample)(gl_gen *gen, uint32_t *id, int *is_eog);
  /* Feeds the token's text through the UTF-8 stream decoder; *text points at the complete
   * characters (valid until the next call on this generation); returns their length. */
  int64_t (*gen_piece)(gl_gen *gen, uint32_t id, const uint8_t **text);
  /* Ends the text stream (an unfinished character becomes U+FFFD), like gen_piece. */
  int64_t (*gen_finish)(gl_gen *gen, const uint8_t **text);
} gl_api;

#endif
