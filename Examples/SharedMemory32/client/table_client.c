/* A 32-bit C program with no Crossbit code: rpcgen's shm_row (from
 * `crossbit-idl rpcl --layout ilp32`), plain POSIX shared memory, and an
 * rpcgen client. It fills a table of rows in a named region, behind the
 * documented 64-byte header (docs/shared-memory.md), and passes the region's
 * name to a 64-bit Swift server as a plain string; then it checks what the
 * server wrote into the same memory. */
#include "shm_table.h"
#include "shm_row_layout.h"   /* SHM_ROW_FINGERPRINT and SHM_ROW_SIZE, from crossbit-idl cabi */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The same bytes in both data models (every field at its natural offset). */
struct crossbit_region_header {
    char magic[8];              /* "CRXBSHM1" */
    uint32_t version;           /* 1 */
    uint32_t layout;            /* 1 = ILP32 (this program), 2 = LP64 */
    uint32_t element_size;
    uint32_t reserved;
    uint64_t fingerprint;
    uint64_t count;
    uint64_t generation;        /* the server bumps it after its update */
    uint64_t data_offset;       /* 64 */
    uint64_t reserved2;
};

_Static_assert(sizeof(struct crossbit_region_header) == 64, "the header is 64 bytes");
_Static_assert(sizeof(shm_row) == SHM_ROW_SIZE, "gcc -m32 agrees with crossbit-idl cabi --layout ilp32");

#define ROWS 4
#define BIG_LENGTH 3000000000u  /* doubled, 6000000000 does not fit a 32-bit size_t */

static int fail(const char *what) {
    fprintf(stderr, "table_client: %s: %s\n", what, strerror(errno));
    return 1;
}

static int check_rows(const shm_row *rows, const struct crossbit_region_header *header, int updated) {
    int ok = updated == ROWS - 1 && __atomic_load_n(&header->generation, __ATOMIC_ACQUIRE) == 1;
    for (int i = 0; i < ROWS; i++) {
        u_int length = i == ROWS - 1 ? BIG_LENGTH : 1000u * (i + 1);
        int refused = i == ROWS - 1;
        quad_t checksum = 0x100000000LL * (i + 1) + (refused ? 0 : length);
        int row_ok = rows[i].status == (refused ? 2 : 1) && rows[i].length == (refused ? length : 2 * length)
            && rows[i].checksum == checksum && rows[i].owner == (u_int)(-1 - i);
        printf("  row %d: status %d, length %u, checksum %lld, owner 0x%08x %s\n", i, rows[i].status,
               rows[i].length, (long long)rows[i].checksum, rows[i].owner, row_ok ? "ok" : "WRONG");
        ok = ok && row_ok;
    }
    return ok;
}

int main(int argc, char **argv) {
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    char name[64];
    snprintf(name, sizeof name, "/crossbit-table-%d", (int)getpid());
    size_t size = sizeof(struct crossbit_region_header) + ROWS * sizeof(shm_row);

    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return fail("shm_open");
    if (ftruncate(fd, (off_t)size) != 0) { shm_unlink(name); return fail("ftruncate"); }
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) { shm_unlink(name); return fail("mmap"); }
    if (close(fd) != 0) { shm_unlink(name); return fail("close"); }

    struct crossbit_region_header *header = memory;
    memcpy(header->magic, "CRXBSHM1", 8);
    header->version = 1;
    header->layout = 1;
    header->element_size = sizeof(shm_row);
    header->fingerprint = SHM_ROW_FINGERPRINT;
    header->count = ROWS;
    header->data_offset = sizeof *header;
    shm_row *rows = (shm_row *)((char *)memory + header->data_offset);
    for (int i = 0; i < ROWS; i++) {
        rows[i].length = i == ROWS - 1 ? BIG_LENGTH : 1000u * (i + 1);
        rows[i].owner = (u_int)(-1 - i);                /* INVALID_HANDLE_VALUE, -2, ... */
        rows[i].checksum = 0x100000000LL * (i + 1);     /* needs all 64 bits */
        rows[i].status = 0;
    }
    printf("table_client: a %d-bit C process filled %d rows of shm_row (%d bytes each, hyper at offset %d) in %s\n",
           (int)(8 * sizeof(void *)), ROWS, (int)sizeof(shm_row), (int)__builtin_offsetof(shm_row, checksum), name);

    CLIENT *c = clnt_create(host, SHM_PROG, SHM_V1, "tcp");
    if (c == NULL) { clnt_pcreateerror(host); shm_unlink(name); return 1; }
    char *argument = name;
    int *updated = shm_process_1(argument, c);
    if (updated == NULL) { clnt_perror(c, "SHM_PROCESS"); shm_unlink(name); return 1; }
    printf("  SHM_PROCESS(\"%s\") -> %d rows updated; generation %llu\n", name, *updated,
           (unsigned long long)__atomic_load_n(&header->generation, __ATOMIC_ACQUIRE));
    int ok = check_rows(rows, header, *updated);
    clnt_destroy(c);
    if (munmap(memory, size) != 0) ok = 0;
    if (shm_unlink(name) != 0) ok = 0;
    printf(ok ? "table_client: the 64-bit server's update is what this 32-bit program expected\n"
              : "table_client: FAILED\n");
    return ok ? 0 : 1;
}
