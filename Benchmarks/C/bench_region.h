/*
 * The shared region header of docs/shared-memory.md (the same 64 bytes in
 * both data models), and mapping a region of bench_block, for the C sides of
 * the shared-region rows.  BENCH_BLOCK_FINGERPRINT comes from
 * `crossbit-idl cabi` (-DBENCH_BLOCK_FINGERPRINT=...).
 */
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct crossbit_region_header {
    char magic[8];
    uint32_t version;
    uint32_t layout;            /* 1 = ILP32, 2 = LP64 */
    uint32_t element_size;
    uint32_t reserved;
    uint64_t fingerprint;
    uint64_t count;
    uint64_t generation;
    uint64_t data_offset;
    uint64_t reserved2;
};

#define REGION_LAYOUT (sizeof(void *) == 4 ? 1u : 2u)

/* Maps the region `name` (creating it with `count` blocks when count > 0);
 * NULL on any failure.  *size is the mapped size. */
static struct crossbit_region_header *map_region(const char *name, uint64_t count, size_t *size) {
    int fd = shm_open(name, count > 0 ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0600);
    if (fd < 0) return NULL;
    struct stat st;
    if (count > 0) {
        *size = sizeof(struct crossbit_region_header) + count * sizeof(bench_block);
        if (ftruncate(fd, (off_t)*size) != 0) { close(fd); return NULL; }
    } else {
        if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct crossbit_region_header)) {
            close(fd);
            return NULL;
        }
        *size = (size_t)st.st_size;
    }
    void *memory = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (close(fd) != 0 || memory == MAP_FAILED) return NULL;
    struct crossbit_region_header *header = memory;
    if (count > 0) {
        memcpy(header->magic, "CRXBSHM1", 8);
        header->version = 1;
        header->layout = REGION_LAYOUT;
        header->element_size = sizeof(bench_block);
        header->fingerprint = BENCH_BLOCK_FINGERPRINT;
        header->count = count;
        header->data_offset = sizeof *header;
    } else if (memcmp(header->magic, "CRXBSHM1", 8) != 0 || header->layout != REGION_LAYOUT
               || header->element_size != sizeof(bench_block) || header->fingerprint != BENCH_BLOCK_FINGERPRINT
               || sizeof *header + header->count * sizeof(bench_block) > *size) {
        munmap(memory, *size);
        return NULL;
    }
    return header;
}
