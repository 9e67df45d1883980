/* Uses the installed C API: one message through a queue. */
#include <shmring/shmring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
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
    puts(ok ? "c api ok" : "c api FAILED");
    return ok ? 0 : 1;
}
