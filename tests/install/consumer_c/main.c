/* Uses the installed C API: checks the library's version against the header's, then sends one
 * message through a queue and checks what arrives. */
#include <shmring/shmring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STRING(x) #x
#define VERSION_STRING(major, minor, patch) STRING(major) "." STRING(minor) "." STRING(patch)

static int failed(const char *what) {
    printf("c api FAILED: %s\n", what);
    return 1;
}

int main(void) {
    const char *header_version = VERSION_STRING(SHMRING_VERSION_MAJOR, SHMRING_VERSION_MINOR, SHMRING_VERSION_PATCH);
    if (strcmp(shmring_version(), header_version) != 0) return failed("shmring_version() is not the header's version");

    char name[64];
    snprintf(name, sizeof name, "install-check-c.%d", (int)getpid());
    shmring_queue *sender = NULL, *receiver = NULL;
    char buffer[16];
    int ok = shmring_queue_create(name, 4, 16, SHMRING_SPSC, 0600) == 0 &&
             shmring_queue_open(name, SHMRING_SENDER, &sender) == 0 &&
             shmring_queue_open(name, SHMRING_RECEIVER, &receiver) == 0 &&
             shmring_queue_send(sender, "hello", 5, 0) == 0 &&
             shmring_queue_receive(receiver, buffer, sizeof buffer, 0) == 5 && memcmp(buffer, "hello", 5) == 0;
    shmring_queue_close(sender);
    shmring_queue_close(receiver);
    shmring_unlink(name);
    if (!ok) return failed("one message through a queue");
    puts("c api ok");
    return 0;
}
