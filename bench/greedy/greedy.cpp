// greedy: llama.cpp's greedy continuation of a prompt given as token ids,
// for bench/greedy.sh (the GGUF files llink writes carry no tokenizer, so
// the ids go in directly). Prints the generated ids, space-separated.
//
//   greedy model.gguf N id1 id2 ...
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "llama.h"

int main(int argc, char ** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s model.gguf n id...\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    std::vector<llama_token> ids;
    for (int i = 3; i < argc; i++) {
        ids.push_back(atoi(argv[i]));
    }
    llama_log_set([](ggml_log_level, const char *, void *) {}, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "greedy: cannot load %s\n", argv[1]);
        return 1;
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = ids.size() + n + 8;
    cp.n_batch = cp.n_ctx;
    cp.n_threads = cp.n_threads_batch = 1;
    llama_context * ctx = llama_init_from_model(model, cp);
    int nv = llama_vocab_n_tokens(llama_model_get_vocab(model));
    std::vector<llama_token> cur = ids;
    for (int s = 0; s < n; s++) {
        if (llama_decode(ctx, llama_batch_get_one(cur.data(), cur.size())) != 0) {
            fprintf(stderr, "greedy: decode failed\n");
            return 1;
        }
        const float * lg = llama_get_logits_ith(ctx, -1);
        int best = 0;
        for (int v = 1; v < nv; v++) {
            if (lg[v] > lg[best]) {
                best = v;
            }
        }
        printf(s ? " %d" : "%d", best);
        cur.assign(1, best);
    }
    printf("\n");
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
