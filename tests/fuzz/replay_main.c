/* A main() for the fuzz harnesses without libFuzzer: feeds every file named
 * on the command line (or found one level inside a named folder) to
 * LLVMFuzzerTestOneInput once, in an exactly-sized heap buffer. CTest uses
 * it (chainexec.reliability.fuzz_*) to replay the seed corpora and the
 * committed regression inputs through the same property checks in every
 * build, gcc and sanitizers included, without clang.
 * Exit status: 0 when every input passed (a failed property aborts), 1
 * when no input was found (a replay of nothing proves nothing) or a file
 * cannot be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, unsigned long *count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    fclose(f);
    return 1;
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf || fread(buf, 1, n, f) != n) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  (*count)++;
  return 0;
}

int main(int argc, char **argv) {
  unsigned long count = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      rc |= replay_file(argv[i], &count);
      continue;
    }
    DIR *d = opendir(argv[i]);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
      if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
        continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
      rc |= replay_file(path, &count);
    }
    if (d)
      closedir(d);
  }
  printf("replay: %lu inputs passed\n", count);
  return rc || count == 0;
}
