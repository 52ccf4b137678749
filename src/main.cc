// fleetpatch: patch EC2 fleets across AWS accounts and regions. main() only sets up process-wide
// state and maps the final result to an exit code; the commands live in src/cli/.
#include "cli/app.h"

int main(int argc, char** argv) { return fleetpatch::cli::Main(argc, argv); }
