/* Integer and memory kernel: sieve of Eratosthenes up to n, repeated; prints the prime count as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000000;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  unsigned char *composite = malloc(n + 1);
  long count = 0;
  for (int r = 0; r < rounds; r++) {
    memset(composite, 0, n + 1);
    count = 0;
    for (long long i = 2; i <= n; i++) {
      if (composite[i]) continue;
      count++;
      for (long long j = i * i; j <= n; j += i) composite[j] = 1;
    }
  }
  printf("{\"n\": %d, \"primes\": %ld}\n", n, count);
  free(composite);
  return 0;
}
