// qsort and bsearch over integers, strings and structures, checked and summarised.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t state = 2024;
static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static int compare_int(const void* a, const void* b)
{
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

static int compare_string(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

struct Person {
    char name[16];
    int age;
    double score;
};

static int compare_person(const void* a, const void* b)
{
    const struct Person* p = a;
    const struct Person* q = b;
    if (p->age != q->age)
        return p->age - q->age;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    return strcmp(p->name, q->name);
}

int main(void)
{
    enum { kCount = 200000 };
    int* numbers = malloc(sizeof(int) * kCount);
    for (int i = 0; i < kCount; ++i)
        numbers[i] = (int)(next() % 1000000) - 500000;
    qsort(numbers, kCount, sizeof(int), compare_int);
    int sorted = 1;
    for (int i = 1; i < kCount; ++i)
        if (numbers[i - 1] > numbers[i])
            sorted = 0;
    long long sum = 0;
    for (int i = 0; i < kCount; i += 1000)
        sum += numbers[i];
    printf("ints: sorted=%d min=%d max=%d median=%d sample-sum=%lld\n", sorted, numbers[0], numbers[kCount - 1],
           numbers[kCount / 2], sum);
    int found = 0;
    for (int i = 0; i < 1000; ++i) {
        int key = numbers[(next() % kCount)];
        found += bsearch(&key, numbers, kCount, sizeof(int), compare_int) != NULL;
    }
    int missing = 600000;
    printf("bsearch: found %d of 1000, absent key found=%d\n", found,
           bsearch(&missing, numbers, kCount, sizeof(int), compare_int) != NULL);
    free(numbers);

    enum { kWords = 5000 };
    char** words = malloc(sizeof(char*) * kWords);
    for (int i = 0; i < kWords; ++i) {
        int length = 3 + (int)(next() % 8);
        words[i] = malloc((size_t)length + 1);
        for (int k = 0; k < length; ++k)
            words[i][k] = (char)('a' + next() % 26);
        words[i][length] = 0;
    }
    qsort(words, kWords, sizeof(char*), compare_string);
    printf("strings: first=%s second=%s last=%s\n", words[0], words[1], words[kWords - 1]);
    for (int i = 0; i < kWords; ++i)
        free(words[i]);
    free(words);

    struct Person people[12];
    const char* names[] = { "ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo", "kim", "lu" };
    for (int i = 0; i < 12; ++i) {
        snprintf(people[i].name, sizeof people[i].name, "%s", names[i]);
        people[i].age = 20 + (int)(next() % 4);
        people[i].score = (double)(next() % 100) / 4.0;
    }
    qsort(people, 12, sizeof(struct Person), compare_person);
    for (int i = 0; i < 12; ++i)
        printf("  %-4s age %d score %6.2f\n", people[i].name, people[i].age, people[i].score);

    // Already sorted, reversed and constant inputs.
    int small[1000];
    for (int i = 0; i < 1000; ++i)
        small[i] = 1000 - i;
    qsort(small, 1000, sizeof(int), compare_int);
    int ok = small[0] == 1 && small[999] == 1000;
    qsort(small, 1000, sizeof(int), compare_int);
    ok = ok && small[500] == 501;
    for (int i = 0; i < 1000; ++i)
        small[i] = 7;
    qsort(small, 1000, sizeof(int), compare_int);
    printf("edge cases: %s\n", ok && small[0] == 7 ? "ok" : "FAIL");
    return sorted && ok ? 0 : 1;
}
