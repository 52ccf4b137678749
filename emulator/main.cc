// fleetpatch-emulator: serves the AWS emulator over HTTP (see emulator/server.h).
#include "emulator/server.h"

int main(int argc, char** argv) { return fleetpatch::emulator::RunMain(argc, argv); }
