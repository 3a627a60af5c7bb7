#include "cli/cli.h"

int main(int argc, char** argv) {
  return baraza::runCli(argc, argv);
}
