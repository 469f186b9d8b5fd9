/*===- heed.h - The Heed runtime C API --------------------------*- C -*-===//
 *
 * Opaque handles and status values; no call aborts on user input. Every call
 * that can fail returns a heed_status; on failure the message of the last
 * error on this thread is heed_last_error().
 *
 *   heed_runtime  a driver (cpu; vulkan later)
 *   heed_module   a loaded module file (plan, constants, weights)
 *   heed_function one entry point of a module (borrowed from the module)
 *   heed_tensor   a host tensor (owned by the caller unless stated)
 *   heed_decoder  greedy / beam search / scoring over a module's encode and decode_step
 *
 *===----------------------------------------------------------------------===*/

#ifndef HEED_HEED_H
#define HEED_HEED_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define HEED_API
#else
#define HEED_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Raised on every change that breaks clients built against an older heed.h (the project is
 * before 1.0: the ABI may still change). 2: heed_dtype takes the module format's values. */
#define HEED_C_API_VERSION 2

typedef enum heed_status {
  HEED_OK = 0,
  HEED_INVALID_ARGUMENT = 1, /* bad input tensor, bad name, bad option */
  HEED_INVALID_MODULE = 2,   /* corrupt, truncated or wrong-version module */
  HEED_NOT_FOUND = 3,        /* no such function or file */
  HEED_UNIMPLEMENTED = 4,    /* device or op not supported by this build */
  HEED_RUNTIME_ERROR = 5,    /* an op failed at run time (shape, index out of range) */
  HEED_OUT_OF_MEMORY = 6,
  HEED_INTERNAL = 7
} heed_status;

/* The values are the module file's element types (heed_module.fbs's DType) and the runtime's
 * (ElemType). ABI change in C API version 2: HEED_INDEX took 5, so F16..U64 moved up by one
 * (they were 5..9); rebuild clients against this header. */
typedef enum heed_dtype {
  HEED_F32 = 0,
  HEED_F64 = 1,
  HEED_I32 = 2,
  HEED_I64 = 3,
  HEED_BOOL = 4,  /* one byte per element, 0 or 1 */
  HEED_INDEX = 5, /* signatures only: an index scalar, passed as a rank-0 i64 (or i32) tensor */
  HEED_F16 = 6,   /* IEEE binary16 bits */
  HEED_BF16 = 7,  /* bfloat16 bits (the top half of an f32) */
  HEED_U8 = 8,
  HEED_U32 = 9,
  HEED_U64 = 10,
  /* Not element types: they make every int a value of the enum in C++ (as it is in C), so an
   * out-of-range value from a caller gets HEED_INVALID_ARGUMENT instead of undefined behaviour. */
  HEED_DTYPE_MIN_ENUM_ = -0x7fffffff - 1,
  HEED_DTYPE_MAX_ENUM_ = 0x7fffffff
} heed_dtype;

typedef struct heed_runtime heed_runtime;
typedef struct heed_module heed_module;
typedef struct heed_function heed_function;
typedef struct heed_tensor heed_tensor;

/* The message of the last failed call on this thread ("" if none). */
HEED_API const char *heed_last_error(void);
HEED_API const char *heed_status_name(heed_status status);
HEED_API const char *heed_dtype_name(heed_dtype dtype);
HEED_API size_t heed_dtype_size(heed_dtype dtype);

/* CPU threads for every later call (any runtime, any calling thread): n >= 1, or 0 for the
 * default (OMP_NUM_THREADS, else one per core). Fails with HEED_INVALID_ARGUMENT when n < 0. */
HEED_API heed_status heed_set_num_threads(int n);
/* The threads a call made now would use. */
HEED_API int heed_get_num_threads(void);

/* device: "cpu" or "vulkan". */
HEED_API heed_status heed_runtime_create(const char *device, heed_runtime **out);
HEED_API void heed_runtime_destroy(heed_runtime *runtime);

HEED_API heed_status heed_module_load_file(heed_runtime *runtime, const char *path,
                                           heed_module **out);
/* Copies `size` bytes; `name` appears in messages. */
HEED_API heed_status heed_module_load_memory(heed_runtime *runtime, const void *data, size_t size,
                                             const char *name, heed_module **out);
HEED_API void heed_module_destroy(heed_module *module);

HEED_API size_t heed_module_function_count(const heed_module *module);
HEED_API heed_function *heed_module_function_at(heed_module *module, size_t index);
/* NULL name: the only function, or `main`. */
HEED_API heed_status heed_module_find_function(heed_module *module, const char *name,
                                               heed_function **out);

HEED_API const char *heed_function_name(const heed_function *function);
HEED_API size_t heed_function_input_count(const heed_function *function);
HEED_API size_t heed_function_output_count(const heed_function *function);
HEED_API const char *heed_function_input_name(const heed_function *function, size_t index);
/* The result's heed.name ("" when the module has none). */
HEED_API const char *heed_function_output_name(const heed_function *function, size_t index);
/* The dims as the model wrote them (heed.dims), joined by ",": "B,S,64"; "" when not recorded.
 * The decoding drivers find the batch dim of each state by its name. */
HEED_API const char *heed_function_input_dims(const heed_function *function, size_t index);
HEED_API const char *heed_function_output_dims(const heed_function *function, size_t index);
/* The declared type, e.g. "tensor<?x4xf32>" or "index", for messages (typed: below). */
HEED_API const char *heed_function_input_type(const heed_function *function, size_t index);
HEED_API const char *heed_function_output_type(const heed_function *function, size_t index);

/* Typed signatures, so that no client parses the type strings above. A value is a tensor (its
 * dtype, rank and dims) or an index scalar: dtype HEED_INDEX, rank 0, passed and returned as a
 * rank-0 i64 tensor. Each call fails with HEED_INVALID_ARGUMENT on a null argument, an `index`
 * beyond the function's inputs (outputs) or a `dim` beyond the value's rank. */
HEED_API heed_status heed_function_input_dtype(const heed_function *function, size_t index,
                                               heed_dtype *out);
HEED_API heed_status heed_function_input_rank(const heed_function *function, size_t index,
                                              size_t *out);
/* The static size of dim `dim`, or -1 when it is dynamic. */
HEED_API heed_status heed_function_input_dim(const heed_function *function, size_t index,
                                             size_t dim, int64_t *out);
/* The model's symbol for dim `dim` (heed.dims: "B", "S"); "" when it has none (no heed.dims, a
 * count that differs from the rank, or an entry that is a number). Valid while the module lives. */
HEED_API heed_status heed_function_input_dim_name(const heed_function *function, size_t index,
                                                  size_t dim, const char **out);
HEED_API heed_status heed_function_output_dtype(const heed_function *function, size_t index,
                                                heed_dtype *out);
HEED_API heed_status heed_function_output_rank(const heed_function *function, size_t index,
                                               size_t *out);
HEED_API heed_status heed_function_output_dim(const heed_function *function, size_t index,
                                              size_t dim, int64_t *out);
HEED_API heed_status heed_function_output_dim_name(const heed_function *function, size_t index,
                                                   size_t dim, const char **out);

/* Creates a tensor; `data` (may be NULL: zeros) is copied. */
HEED_API heed_status heed_tensor_create(heed_dtype dtype, const int64_t *shape, size_t rank,
                                        const void *data, heed_tensor **out);
/* Makes a tensor over the caller's `data` (C order, aligned to the element size; NULL only when
 * it has no elements) without copying it. The caller keeps the memory alive and unchanged until
 * the tensor is destroyed. The runtime only reads it, and only during heed_function_invoke: no
 * kernel writes an input or reads past its last byte, and an output that would share it (a
 * function returning its input, or a view of it) is a copy, so outputs outlive it. A device
 * other than the CPU uploads it, as any input. */
HEED_API heed_status heed_tensor_wrap(heed_dtype dtype, const int64_t *shape, size_t rank,
                                      const void *data, heed_tensor **out);
HEED_API void heed_tensor_destroy(heed_tensor *tensor);
HEED_API heed_dtype heed_tensor_dtype(const heed_tensor *tensor);
HEED_API size_t heed_tensor_rank(const heed_tensor *tensor);
HEED_API const int64_t *heed_tensor_shape(const heed_tensor *tensor);
HEED_API size_t heed_tensor_element_count(const heed_tensor *tensor);
HEED_API size_t heed_tensor_byte_size(const heed_tensor *tensor);
HEED_API const void *heed_tensor_data(const heed_tensor *tensor);

/* Runs `function`. Index (scalar) inputs are passed as rank-0 i64 tensors. Inputs that disagree
 * on a dim the model names alike (heed_function_input_dim_name: "B" in two inputs) are refused
 * with HEED_INVALID_ARGUMENT before anything runs: the compiler's proofs rely on the names.
 * `outputs` receives heed_function_output_count new tensors, each to be
 * destroyed by the caller (an output may share memory with the module's
 * constants; it stays valid after the module is destroyed). Calls on one
 * heed_runtime are serialised; use one runtime per thread to run requests
 * concurrently. Statistics of the last call: heed_function_stats. */
HEED_API heed_status heed_function_invoke(heed_function *function, heed_tensor *const *inputs,
                                          size_t input_count, heed_tensor **outputs,
                                          size_t output_count);

typedef struct heed_stats {
  uint64_t ops_executed;
  uint64_t bytes_allocated; /* fresh allocations (not served by the buffer pool) */
  uint64_t peak_bytes;      /* peak of live intermediate bytes during the last invoke */
  uint64_t pool_hits;
} heed_stats;
HEED_API heed_status heed_function_stats(const heed_function *function, heed_stats *out);

/* Time per op kind in the last call, slowest first (index < count). `kind` stays valid until the
 * next call of the function. Times are inclusive: a heed.scan includes its body. */
HEED_API size_t heed_function_profile_count(const heed_function *function);
HEED_API heed_status heed_function_profile_entry(const heed_function *function, size_t index,
                                                 const char **kind, double *milliseconds,
                                                 uint64_t *calls);

/* Tracing: while enabled, each invoke on this runtime records one event per executed op (kind,
 * source location, operand and result shapes, start and duration). Off by default; costs a few
 * microseconds per op when on. */
HEED_API heed_status heed_runtime_set_tracing(heed_runtime *runtime, int enabled);
/* Writes the events of the function's last call as a Chrome trace (JSON, "X" events; open it in
 * Perfetto or chrome://tracing). A call made with tracing off writes an empty event list. */
HEED_API heed_status heed_function_write_trace(const heed_function *function, const char *path);
/* Writes every call made on this runtime since tracing was last switched on (any function, e.g.
 * a decoder's encode and each decode_step) on one time line: an event per call, its ops' events
 * inside it. Past 2^20 recorded ops later calls are dropped and the trace ends with a marker. */
HEED_API heed_status heed_runtime_write_trace(const heed_runtime *runtime, const char *path);

/*===--------------------------------------------------------------------===*
 * Decoding (docs/decoding.md): greedy, beam search and scoring over any module that declares
 * `encode(src, [src_len]) -> (state...)` and `decode_step(prev, state...) -> (log_probs, ...)`.
 * Runs on the module's device through the calls above.
 *===--------------------------------------------------------------------===*/

typedef struct heed_decoder heed_decoder;
typedef struct heed_hypotheses heed_hypotheses;
typedef struct heed_scores heed_scores;

typedef struct heed_decode_options {
  int64_t bos, eos, pad; /* token ids (defaults 1, 2, 0) */
  int32_t beam;          /* 1: greedy (default) */
  int32_t n_best;        /* hypotheses returned per source, 1..beam (default 1) */
  int32_t max_length;    /* generated tokens counting </s>; 0: 2 * source length + 10 */
  double length_penalty; /* GNMT alpha: score = logp / ((5 + len) / 6)^alpha (default 0) */
  int32_t early_stop;    /* stop a source once it has `beam` finished hypotheses (default 1) */
  int32_t attention;     /* collect decode_step's attention output (default 0) */
  int32_t batch_size;    /* sources per encode call (default 32) */
  /* Called after each batch with (sources done, total, progress_user); may be NULL. */
  void (*progress)(size_t done, size_t total, void *progress_user);
  void *progress_user;
  /* Decoding options (docs/decoding.md, "Decoding options"; CTranslate2's meanings). */
  int32_t sampling_topk;        /* 1: greedy (default); 0: sample from the whole vocabulary; K */
  double sampling_topp;         /* nucleus mass in (0, 1] (default 1) */
  double sampling_temperature;  /* > 0 (default 1) */
  uint64_t seed;                /* source i samples with std::mt19937_64(seed + i) (default 0) */
  int32_t min_length;           /* </s> forbidden before this many tokens (default 0) */
  double repetition_penalty;    /* > 0; 1: none (default) */
  int32_t no_repeat_ngram_size; /* 0: none (default) */
  int32_t max_batch_tokens;     /* > 0: batches sorted by length, padded tokens <= this (0) */
  /* NULL, or `count` token sequences forced first (target_prefix_lengths[i] may be 0). */
  const int64_t *const *target_prefix;
  const size_t *target_prefix_lengths;
} heed_decode_options;

/* Fills `options` with the defaults above. */
HEED_API void heed_decode_options_init(heed_decode_options *options);

/* Binds the module's encode and decode_step (fails with HEED_INVALID_ARGUMENT, naming what is
 * missing, on a module without that contract). The module must outlive the decoder. */
HEED_API heed_status heed_decoder_create(heed_module *module, heed_decoder **out);
HEED_API void heed_decoder_destroy(heed_decoder *decoder);
/* One line per decode_step input: how it is fed. Valid while the decoder lives. */
HEED_API const char *heed_decoder_describe(const heed_decoder *decoder);
/* The size of the target vocabulary (log_probs' last dim; 0 when it is dynamic). */
HEED_API int64_t heed_decoder_vocab_size(const heed_decoder *decoder);

/* Translates `count` sources (sources[i]: lengths[i] >= 1 token ids). NULL options: defaults.
 * `out` receives the n-best hypotheses per source, to be destroyed by the caller. */
HEED_API heed_status heed_decoder_translate(const heed_decoder *decoder,
                                            const int64_t *const *sources, const size_t *lengths,
                                            size_t count, const heed_decode_options *options,
                                            heed_hypotheses **out);

typedef struct heed_hypothesis {
  const int64_t *tokens; /* without <s> and </s> */
  size_t length;
  double score;    /* log_prob after the length penalty */
  double log_prob; /* sum of the tokens' log-probs (with </s>'s when it ended) */
  int32_t ended;   /* 1: produced </s>; 0: cut at the maximum length */
  /* With options.attention: attention_rows x attention_cols weights, row-major (one row per
   * generated token including </s>, one column per source token); else NULL and 0 x 0. */
  const float *attention;
  size_t attention_rows, attention_cols;
  /* Each token's log-prob, then </s>'s when it ended (length + ended values; sum = log_prob). */
  const float *token_log_probs;
  size_t token_log_probs_count;
} heed_hypothesis;

HEED_API size_t heed_hypotheses_source_count(const heed_hypotheses *hypotheses);
/* The number of hypotheses of source `source` (0 when out of range). */
HEED_API size_t heed_hypotheses_count(const heed_hypotheses *hypotheses, size_t source);
/* Hypothesis `rank` (0 = best) of source `source`; its pointers stay valid until
 * heed_hypotheses_destroy. */
HEED_API heed_status heed_hypotheses_get(const heed_hypotheses *hypotheses, size_t source,
                                         size_t rank, heed_hypothesis *out);
HEED_API void heed_hypotheses_destroy(heed_hypotheses *hypotheses);

/* Teacher forcing: log p(y_t | y_<t, x) of every targets[i] token, then of </s>, and their sum.
 * NULL options: defaults (only bos, eos, pad, batch_size, max_batch_tokens and progress are
 * read). */
HEED_API heed_status heed_decoder_score(const heed_decoder *decoder, const int64_t *const *sources,
                                        const size_t *source_lengths, const int64_t *const *targets,
                                        const size_t *target_lengths, size_t count,
                                        const heed_decode_options *options, heed_scores **out);
HEED_API size_t heed_scores_count(const heed_scores *scores);
/* Pair `index`: `count` = target length + 1 log-probs (the last is </s>'s) and their sum. */
HEED_API heed_status heed_scores_get(const heed_scores *scores, size_t index,
                                     const float **token_log_probs, size_t *count,
                                     double *log_likelihood);
HEED_API void heed_scores_destroy(heed_scores *scores);

#ifdef __cplusplus
}
#endif

#endif /* HEED_HEED_H */
