/* Embedding chainexec: open an engine on a temporary database, load a
 * genesis, execute one block of two signed transfers, print the results.
 * Build: cc embed.c $(pkg-config --cflags --libs chainexec)
 * The transactions were signed once with the test signer (seeds 2024 and
 * 2025): alice sends bob 250, then 100 (nonces 0 and 1). */
#include <chainexec.h>
#include <stdio.h>
#include <string.h>

static const char *const txs_hex[2] = {
    "010222bf163c9b68a4aac7f86897073f79209954f695875499164aa98d187601568300"
    "00000000000000010001b8d6875a661afd4996216354d45c8be80dbb3480fa00000000"
    "0000003a03cf5631f5c6401c694e1d3d04ba136cf6a50a3bb64cd141d340405978cdcf"
    "2060f5f426ac19d07e1b73e9562f678ccedc5782e744d91281a1109d6febb9ca",
    "010222bf163c9b68a4aac7f86897073f79209954f695875499164aa98d187601568301"
    "00000000000000010001b8d6875a661afd4996216354d45c8be80dbb34806400000000"
    "00000088d9caa79ff9e35af276942f2d93420bbeaacbaad86f96e6c207daee81f51895"
    "7cd95102d85bfe5804cf374632d483278d37214aedef3d60c2612b2b062135f1"};

static size_t unhex(const char *h, uint8_t *out) {
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++)
    sscanf(h + 2 * i, "%2hhx", &out[i]);
  return n;
}

static void print_hex(const char *label, const uint8_t *b, size_t n) {
  printf("%s ", label);
  for (size_t i = 0; i < n; i++)
    printf("%02x", b[i]);
  printf("\n");
}

int main(void) {
  cx_config cfg;
  cx_config_default(&cfg); /* temporary database, all cores, CPU only */
  cx_error err;
  cx_engine *e = cx_engine_open(&cfg, &err);
  if (e == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  cx_genesis_account alice = {.balance = 1000};
  uint8_t bob[20];
  unhex("7a7308ab6ef700e4559eadd01ecc445ca2076afd", alice.address);
  unhex("b8d6875a661afd4996216354d45c8be80dbb3480", bob);
  uint8_t root[32], wire[2][200];
  const uint8_t *txs[2] = {wire[0], wire[1]};
  size_t lens[2] = {unhex(txs_hex[0], wire[0]), unhex(txs_hex[1], wire[1])};
  cx_block block = {2, txs, lens};
  cx_block_result r;
  if (cx_engine_load_genesis(e, &alice, 1, NULL, 0, root, &err) != CX_OK ||
      cx_engine_execute_block(e, &block, &r, &err) != CX_OK) {
    fprintf(stderr, "chainexec: %s\n", err.message);
    cx_engine_close(e);
    return 1;
  }
  print_hex("genesis_state_root", root, 32);
  printf("height %llu statuses %u %u\n", (unsigned long long)r.height,
         r.statuses[0], r.statuses[1]);
  print_hex("tx_root", r.tx_root, 32);
  print_hex("receipts_root", r.receipts_root, 32);
  print_hex("write_root", r.write_root, 32);
  print_hex("state_root", r.state_root, 32);
  uint64_t bal, nonce;
  cx_engine_get_account(e, alice.address, &bal, &nonce, &err);
  printf("alice balance %llu nonce %llu\n", (unsigned long long)bal,
         (unsigned long long)nonce);
  cx_engine_get_account(e, bob, &bal, &nonce, &err);
  printf("bob balance %llu nonce %llu\n", (unsigned long long)bal,
         (unsigned long long)nonce);
  cx_block_result_free(&r);
  cx_engine_close(e);
  return 0;
}
