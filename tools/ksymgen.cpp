// Builds the kernel's embedded symbol table (kernel/debug/ksyms_format.h) from the output of
// `llvm-nm --defined-only -n -C KERNEL`: keeps code symbols, sorted by address.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/debug/ksyms_format.h"

int main(int argc, char** argv)
{
    if (argc != 3 || std::string(argv[1]) == "--help") {
        std::cerr << "usage: ksymgen NM_OUTPUT.txt OUT.bin\n"
                     "  Turns `llvm-nm --defined-only -n -C kernel.elf` output into the kernel's symbol table.\n";
        return argc == 2 ? 0 : 2;
    }
    std::ifstream input(argv[1]);
    if (!input) {
        std::cerr << "ksymgen: cannot read " << argv[1] << "\n";
        return 1;
    }
    struct Entry {
        uint64_t address;
        std::string name;
    };
    std::vector<Entry> entries;
    std::string line;
    while (std::getline(input, line)) {
        // "ffffffff80101000 T name, possibly with spaces"
        std::istringstream fields(line);
        std::string address, type;
        if (!(fields >> address >> type) || type.size() != 1)
            continue;
        char kind = type[0];
        if (kind != 'T' && kind != 't' && kind != 'W' && kind != 'w')
            continue;
        std::string name;
        std::getline(fields, name);
        name.erase(0, name.find_first_not_of(' '));
        if (name.empty() || name.rfind(".L", 0) == 0)
            continue;
        entries.push_back({ std::stoull(address, nullptr, 16), name });
    }
    std::stable_sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.address < b.address; });

    std::string strings;
    std::vector<wk::kernel::debug::KsymsEntry> table;
    for (auto& entry : entries) {
        table.push_back({ entry.address, static_cast<uint32_t>(strings.size()), 0 });
        strings += entry.name;
        strings.push_back('\0');
    }
    wk::kernel::debug::KsymsHeader header { wk::kernel::debug::kKsymsMagic, static_cast<uint32_t>(table.size()),
                                            static_cast<uint32_t>(strings.size()), 0 };
    std::ofstream output(argv[2], std::ios::binary);
    output.write(reinterpret_cast<const char*>(&header), sizeof header);
    output.write(reinterpret_cast<const char*>(table.data()), static_cast<std::streamsize>(table.size() * sizeof(table[0])));
    output.write(strings.data(), static_cast<std::streamsize>(strings.size()));
    if (!output) {
        std::cerr << "ksymgen: cannot write " << argv[2] << "\n";
        return 1;
    }
    return 0;
}
