/* `chainexec devices`: the GPUs this process can use, or why none. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gpu.h"

static const char help[] =
    "usage: chainexec devices [--json]\n"
    "\n"
    "Lists the CUDA devices and their capabilities, or says why there are\n"
    "none (no CUDA in this build, no driver, no device): then every batch\n"
    "runs on the CPU. The software device `--gpu sim` is always available.\n";

/* A JSON string: device names and reasons come from the driver. */
static void put_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

/* What to do when a CUDA build finds no device, from the runtime's reason
 * (NULL when there is nothing to advise). */
static const char *no_device_hint(const char *why) {
  if (strstr(why, "InsufficientDriver") || strstr(why, "NoDevice") ||
      strstr(why, "driver"))
    return "to use a GPU: install (or update) the NVIDIA driver so that "
           "nvidia-smi lists the GPU, then run 'chainexec devices' again; "
           "until then every batch runs on the CPU, and '--gpu sim' runs "
           "the software device";
  return NULL;
}

int cx_cli_devices(int argc, char **argv) {
  bool json;
  int rc = cx_cli_parse_json_only(argc, argv, "devices", help, &json);
  if (rc)
    return rc < 0 ? CX_EXIT_OK : rc;
  char why[256];
  int n = cx_gpu_describe(why, sizeof why);
  int cuda = cx_gpu_built_with_cuda();
  if (json) {
    printf("{\"cuda_build\": %s, \"summary\": ", cuda ? "true" : "false");
    put_json_string(why);
    printf(", \"devices\": [");
  } else {
    printf("%s\n", n > 0 ? why : why[0] ? why : "no CUDA device: CPU only");
    const char *hint = cuda && n <= 0 ? no_device_hint(why) : NULL;
    if (hint)
      printf("%s\n", hint);
  }
  int shown = 0;
  for (int d = 0; d < n; d++) {
    cx_gpu_caps c;
    cx_gpu_error gerr = {0};
    if (cx_gpu_caps_get(d, &c, &gerr) != CX_GPU_OK) {
      if (!json)
        printf("  %d: unavailable (%s)\n", d, gerr.message);
      continue;
    }
    if (json) {
      printf("%s{\"index\": %d, \"name\": ", shown ? ", " : "", d);
      put_json_string(c.name);
      printf(", \"compute_capability\": \"%d.%d\", \"sm_count\": %d, "
             "\"memory_bytes\": %zu, \"clock_khz\": %d, \"async_engines\": "
             "%d}",
             c.cc_major, c.cc_minor, c.sm_count, c.total_mem, c.clock_khz,
             c.async_engines);
    } else {
      printf("  %d: %s  sm_%d%d  %d SMs  %.1f GiB  %d MHz  %d copy "
             "engines\n",
             d, c.name, c.cc_major, c.cc_minor, c.sm_count,
             (double)c.total_mem / (1 << 30), c.clock_khz / 1000,
             c.async_engines);
    }
    shown++;
  }
  if (json)
    printf("]}\n");
  else if (!cuda)
    printf("this build has no CUDA (configure with -DCHAINEXEC_CUDA=ON)\n");
  return CX_EXIT_OK;
}
