// The network helpers of userland/include/wasmkern.h (docs/networking.md, "Outbound").
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int wk_net_handle(uint32_t* handle)
{
    return wk_find_handle(WK_OBJECT_RESOURCE, WK_RIGHT_NET, handle) == 0 ? 0 : ENOTCAPABLE;
}

int wk_parse_ipv4(const char* text, uint32_t* address)
{
    uint32_t value = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0 && *text++ != '.')
            return EINVAL;
        if (*text < '0' || *text > '9')
            return EINVAL;
        unsigned byte = 0;
        int digits = 0;
        for (; *text >= '0' && *text <= '9'; ++text) {
            byte = byte * 10 + (unsigned)(*text - '0');
            if (++digits > 3 || byte > 255)
                return EINVAL;
        }
        value = value << 8 | byte;
    }
    if (*text)
        return EINVAL;
    *address = value;
    return 0;
}

int wk_connect(uint32_t address, uint32_t port, int* fd)
{
    uint32_t handle;
    int error = wk_net_handle(&handle);
    if (error)
        return error;
    uint8_t bytes[4] = { (uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8), (uint8_t)address };
    int32_t out = -1;
    error = wasmkern_sock_connect(handle, bytes, sizeof bytes, port, &out);
    if (!error)
        *fd = out;
    return error;
}

int wk_resolve(const char* name, uint32_t* address)
{
    uint32_t handle;
    int error = wk_net_handle(&handle);
    if (error)
        return error;
    uint8_t bytes[4];
    error = wasmkern_resolve(handle, name, (uint32_t)strlen(name), bytes);
    if (!error)
        *address = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
    return error;
}

void wk_format_ipv4(uint32_t address, char text[16])
{
    snprintf(text, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 255, (address >> 8) & 255, address & 255);
}
