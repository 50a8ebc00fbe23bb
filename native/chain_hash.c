/*
 * warden_journal, the audit chain's hashes of a whole batch in one call (src/audit/chain-key.ts):
 *
 *   chainHashes(prev, lines, key)  the chain hash of each string of `lines` in turn, each linked to
 *                                  the one before, the first to `prev`: hash_i = H(prev_i "\n" line_i)
 *                                  with prev_0 = prev and prev_i = hash_{i-1}, in lowercase hex;
 *                                  H is SHA-256, or HMAC-SHA256 under `key` (a Uint8Array; undefined
 *                                  or null: plain SHA-256). Strings are hashed as their UTF-8 (a lone
 *                                  surrogate as U+FFFD), as node:crypto hashes a string. Returns an
 *                                  array of the hashes.
 *
 * The SHA-256 is OpenSSL's (SHA256_Init/Update/Final, with the CPU's SHA instructions), which Node
 * carries and exports: it is looked up in the process when the addon loads, never linked, so a Node
 * without those symbols loads the addon all the same and chainHashes is simply not there (the
 * writer then hashes with node:crypto). It is also left out when SHA-256 of "abc" does not come out
 * as it must. HMAC is made here from SHA-256 as RFC 2104 says (a key over 64 bytes hashed first).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "chain_hash.h"

/* Room for OpenSSL's SHA256_CTX (112 bytes; more kept in case). */
typedef struct {
  _Alignas(16) unsigned char bytes[256];
} sha_ctx;

typedef int (*sha_init_fn)(void *);
typedef int (*sha_update_fn)(void *, const void *, size_t);
typedef int (*sha_final_fn)(unsigned char *, void *);

static sha_init_fn sha_init;
static sha_update_fn sha_update;
static sha_final_fn sha_final;

/* A growing buffer for one string's UTF-8 (kept between calls; the writer thread calls from one thread). */
static __thread char *scratch;
static __thread size_t scratch_size;

/* A scratch buffer grown past 1 MiB for a large line is not kept for the next call. */
static void release_large(void) {
  if (scratch_size > (1u << 20)) {
    free(scratch);
    scratch = NULL;
    scratch_size = 0;
  }
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static void sha256(const void *data, size_t n, unsigned char out[32]) {
  sha_ctx c;
  sha_init(&c);
  sha_update(&c, data, n);
  sha_final(out, &c);
}

/* The UTF-8 of string `v` in the scratch buffer; false on an error (thrown). */
static bool utf8_of(napi_env env, napi_value v, size_t *len) {
  if (scratch_size == 0) {
    scratch = malloc(4096);
    if (scratch == NULL) return false;
    scratch_size = 4096;
  }
  if (napi_get_value_string_utf8(env, v, scratch, scratch_size, len) != napi_ok) return false;
  /* Room for a character (4 bytes at most) and the NUL left over: nothing was cut. */
  if (*len + 5 <= scratch_size) return true;
  /* It may have been cut short (a character that does not fit is left out whole): ask for its
   * length, and copy it again into room enough. */
  size_t need;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &need) != napi_ok) return false;
  if (need == *len) return true;
  if (need + 5 > scratch_size) {
    size_t size = need + 5 + 4096;
    char *grown = realloc(scratch, size);
    if (grown == NULL) {
      napi_throw_error(env, NULL, "chainHashes: out of memory");
      return false;
    }
    scratch = grown;
    scratch_size = size;
  }
  return napi_get_value_string_utf8(env, v, scratch, scratch_size, len) == napi_ok;
}

static void hex(const unsigned char d[32], char out[64]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
}

static napi_value js_chain_hashes(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type(env, "chainHashes(prev, lines, key): two arguments at least");
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok) return NULL;
  if (type != napi_string) return throw_type(env, "chainHashes: prev must be a string");
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok) return NULL;
  if (!is_array) return throw_type(env, "chainHashes: lines must be an array");
  uint32_t count;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return NULL;

  /* HMAC: the inner and outer states after the key's block, copied for every line. */
  bool keyed = false;
  sha_ctx inner0, outer0;
  if (argc >= 3) {
    if (napi_typeof(env, argv[2], &type) != napi_ok) return NULL;
    if (type != napi_undefined && type != napi_null) {
      bool is_typed = false;
      if (napi_is_typedarray(env, argv[2], &is_typed) != napi_ok) return NULL;
      napi_typedarray_type ttype;
      size_t klen = 0;
      void *kdata = NULL;
      if (is_typed && napi_get_typedarray_info(env, argv[2], &ttype, &klen, &kdata, NULL, NULL) != napi_ok) return NULL;
      if (!is_typed || ttype != napi_uint8_array) return throw_type(env, "chainHashes: key must be a Uint8Array");
      unsigned char block[64] = {0};
      if (klen > 64) sha256(kdata, klen, block);
      else if (klen > 0) memcpy(block, kdata, klen);
      unsigned char pad[64];
      for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
      sha_init(&inner0);
      sha_update(&inner0, pad, 64);
      for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
      sha_init(&outer0);
      sha_update(&outer0, pad, 64);
      keyed = true;
    }
  }

  /* The first line links to `prev` (any string: hashed as its UTF-8), every later one to the hex before it. */
  char prev_hex[64];
  size_t first_len;
  if (!utf8_of(env, argv[0], &first_len)) return NULL;
  char *first = malloc(first_len + 1);
  if (first == NULL) {
    napi_throw_error(env, NULL, "chainHashes: out of memory");
    return NULL;
  }
  memcpy(first, scratch, first_len);

  napi_value out;
  if (napi_create_array_with_length(env, count, &out) != napi_ok) goto fail;
  for (uint32_t i = 0; i < count; i++) {
    napi_value line;
    if (napi_get_element(env, argv[1], i, &line) != napi_ok) goto fail;
    if (napi_typeof(env, line, &type) != napi_ok) goto fail;
    if (type != napi_string) {
      throw_type(env, "chainHashes: every line must be a string");
      goto fail;
    }
    size_t len;
    if (!utf8_of(env, line, &len)) goto fail;
    const void *p = i == 0 ? (const void *)first : (const void *)prev_hex;
    size_t plen = i == 0 ? first_len : 64;
    unsigned char digest[32];
    sha_ctx c;
    if (keyed) memcpy(&c, &inner0, sizeof c);
    else sha_init(&c);
    sha_update(&c, p, plen);
    sha_update(&c, "\n", 1);
    sha_update(&c, scratch, len);
    sha_final(digest, &c);
    if (keyed) {
      memcpy(&c, &outer0, sizeof c);
      sha_update(&c, digest, 32);
      sha_final(digest, &c);
    }
    hex(digest, prev_hex);
    napi_value h;
    if (napi_create_string_latin1(env, prev_hex, 64, &h) != napi_ok || napi_set_element(env, out, i, h) != napi_ok) goto fail;
  }
  release_large();
  free(first);
  return out;
fail:
  release_large();
  free(first);
  return NULL;
}

bool chain_hash_init(napi_env env, napi_value exports) {
  sha_init = (sha_init_fn)dlsym(RTLD_DEFAULT, "SHA256_Init");
  sha_update = (sha_update_fn)dlsym(RTLD_DEFAULT, "SHA256_Update");
  sha_final = (sha_final_fn)dlsym(RTLD_DEFAULT, "SHA256_Final");
  /* Not found: no chainHashes (not an error: the writer hashes with node:crypto). */
  if (sha_init == NULL || sha_update == NULL || sha_final == NULL) return true;
  static const unsigned char abc[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
  };
  unsigned char d[32];
  sha256("abc", 3, d);
  if (memcmp(d, abc, 32) != 0) return true;
  napi_property_descriptor props[] = {
    {"chainHashes", NULL, js_chain_hashes, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
