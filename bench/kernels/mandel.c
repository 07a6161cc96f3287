/* Floating-point kernel: counts the points of an n×n grid inside the Mandelbrot set; prints JSON. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  const int max_iter = 500;
  long inside = 0;
  for (int y = 0; y < n; y++) {
    for (int x = 0; x < n; x++) {
      double cr = 2.5 * x / n - 2.0, ci = 2.0 * y / n - 1.0, zr = 0.0, zi = 0.0;
      int i = 0;
      while (i < max_iter && zr * zr + zi * zi < 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        i++;
      }
      if (i == max_iter) inside++;
    }
  }
  printf("{\"n\": %d, \"inside\": %ld}\n", n, inside);
  return 0;
}
