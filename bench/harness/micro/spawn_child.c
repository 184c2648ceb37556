/* The child spawn.c starts: linked statically, does nothing, exits 0. */
int main(void)
{
    return 0;
}
