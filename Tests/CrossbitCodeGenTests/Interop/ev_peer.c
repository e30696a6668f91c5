/*
 * The C side of the xdr_everything interop test, built from rpcgen's output
 * for `crossbit-idl rpcl --layout ilp32` (gcc -m32) or `--layout lp64` (-m64).
 *
 *   ev_peer encode OUT     writes the expected value, encoded by rpcgen's routines
 *   ev_peer check IN       decodes IN and compares it, field by field, with the expected value
 *   ev_peer echo IN OUT    decodes IN and encodes it again
 *
 * The expected value mirrors InteropTests.swift's `expected`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "ev.h"

#define BUFFER_SIZE (1 << 20)
static int failures = 0;

#define CHECK(condition, path) \
    do { if (!(condition)) { fprintf(stderr, "mismatch at %s\n", path); failures++; } } while (0)

/* The low 32 bits on ILP32 (where handle_t is unsigned int), all 64 on LP64. */
#define WIDE_HANDLE 0xFFFFFFFF80000001ULL

static ev_widths widths1(void) {
    ev_widths w;
    w.size = 0xFFFFFFF0u;
    w.ssize = -7;
    w.iptr = -123456;
    w.uptr = 0xDEADBEEFu;
    w.handle = (__typeof__(w.handle))WIDE_HANDLE;
    w.time = 2000000000;
    w.i3264 = -1;
    w.u3264 = 7;
    return w;
}

static ev_widths widths2(void) {
    ev_widths w;
    w.size = 1;
    w.ssize = INT32_MIN;
    w.iptr = INT32_MAX;
    w.uptr = 0;
    w.handle = 0x7FFFFFFF;
    w.time = INT32_MIN;
    w.i3264 = 0;
    w.u3264 = 0xFFFFFFFFu;
    return w;
}

static void check_widths(const ev_widths *a, const ev_widths *b, const char *path) {
    char p[256];
#define W(field) snprintf(p, sizeof p, "%s.%s", path, #field); CHECK(a->field == b->field, p)
    W(size); W(ssize); W(iptr); W(uptr); W(handle); W(time); W(i3264); W(u3264);
#undef W
}

static ev_list *node(long long value, ev_list *next) {
    ev_list *n = calloc(1, sizeof *n);
    n->value = value;
    n->next = next;
    return n;
}

static void check_list(const ev_list *a, const ev_list *b, const char *path) {
    char p[256];
    int index = 0;
    for (; a && b; a = a->next, b = b->next, index++) {
        snprintf(p, sizeof p, "%s[node %d].value", path, index);
        CHECK(a->value == b->value, p);
    }
    snprintf(p, sizeof p, "%s length", path);
    CHECK(a == NULL && b == NULL, p);
}

static ev_int_union int_union(int which) {
    ev_int_union u;
    memset(&u, 0, sizeof u);
    u.which = which;
    switch (which) {
    case 0: u.ev_int_union_u.as_int = 5; break;
    case 1: u.ev_int_union_u.as_size = 0xFFFFFFFFu; break;
    case 2: u.ev_int_union_u.as_size = 2; break;
    case 3: break;
    case EV_NEGATIVE: u.ev_int_union_u.as_text = which == EV_NEGATIVE ? "neg" : ""; break;
    default: u.ev_int_union_u.as_widths = widths1(); break;
    }
    return u;
}

static void check_int_union(const ev_int_union *a, const ev_int_union *b, const char *path) {
    char p[256];
    snprintf(p, sizeof p, "%s.which", path);
    CHECK(a->which == b->which, p);
    if (a->which != b->which) return;
    switch (a->which) {
    case 0: snprintf(p, sizeof p, "%s.as_int", path); CHECK(a->ev_int_union_u.as_int == b->ev_int_union_u.as_int, p); break;
    case 1: case 2:
        snprintf(p, sizeof p, "%s.as_size", path); CHECK(a->ev_int_union_u.as_size == b->ev_int_union_u.as_size, p); break;
    case 3: break;
    case EV_NEGATIVE:
        snprintf(p, sizeof p, "%s.as_text", path);
        CHECK(strcmp(a->ev_int_union_u.as_text, b->ev_int_union_u.as_text) == 0, p); break;
    default:
        snprintf(p, sizeof p, "%s.as_widths", path);
        check_widths(&a->ev_int_union_u.as_widths, &b->ev_int_union_u.as_widths, p);
    }
}

static void expected(ev_everything *v) {
    memset(v, 0, sizeof *v);
    ev_scalars *s = &v->scalars;
    s->i = -42; s->u = 4000000000u; s->l = -100000; s->ul = 3000000000u;
    s->h = -9000000000000LL; s->uh = 18000000000000000000ULL; s->f = 1.5f; s->d = -2.25;
    s->b = TRUE; s->color = EV_BLUE; s->alias = 7; s->color_alias = EV_NEGATIVE_CASE;
    v->widths = widths1();

    ev_arrays *a = &v->arrays;
    static char fixed_opaque[] = {1, 2, 3}, inline_fixed[] = {9, 8, 7, 6, 5};
    memcpy(a->fixed_opaque, fixed_opaque, 3);
    memcpy(a->inline_fixed_opaque, inline_fixed, 5);
    static char var_opaque[] = {(char)0xAA, (char)0xBB}, unbounded[] = {1, 2, 3, 4, 5};
    a->inline_var_opaque.inline_var_opaque_len = 2; a->inline_var_opaque.inline_var_opaque_val = var_opaque;
    a->unbounded_opaque.ev_unbounded_opaque_len = 5; a->unbounded_opaque.ev_unbounded_opaque_val = unbounded;
    a->name = "crossbit";
    a->unbounded_name = "h\xc3\xa9llo w\xc3\xb6rld";
    a->fixed_ints[0] = -1; a->fixed_ints[1] = 0; a->fixed_ints[2] = 1;
    static int var_ints[] = {10, 20, 30, 40};
    a->var_ints.var_ints_len = 4; a->var_ints.var_ints_val = var_ints;
    static quad_t hypers[] = {INT64_MIN, INT64_MAX};
    a->unbounded_hypers.unbounded_hypers_len = 2; a->unbounded_hypers.unbounded_hypers_val = hypers;
    a->fixed_widths[0] = widths1(); a->fixed_widths[1] = widths2();
    static ev_widths var_widths[1];
    var_widths[0] = widths2();
    a->var_widths.var_widths_len = 1; a->var_widths.var_widths_val = var_widths;
    static ev_name names[] = {"a", "bc", "def"};
    a->names.ev_names_len = 3; a->names.ev_names_val = names;
    a->sizes[0] = 0; a->sizes[1] = 0xFFFFFFFFu;
    static __typeof__(*a->times.ev_times_val) times[] = {-1, 0, 1700000000};
    a->times.ev_times_len = 3; a->times.ev_times_val = times;
    static int list0[] = {1, 2}, list2[] = {3};
    static ev_int_list lists[3];
    lists[0].ev_int_list_len = 2; lists[0].ev_int_list_val = list0;
    lists[1].ev_int_list_len = 0; lists[1].ev_int_list_val = NULL;
    lists[2].ev_int_list_len = 1; lists[2].ev_int_list_val = list2;
    a->nested_lists.nested_lists_len = 3; a->nested_lists.nested_lists_val = lists;

    v->list = node(1, node(-2, node(3, NULL)));

    ev_tree *left = calloc(1, sizeof *left);
    left->id = 6;
    ev_tree *tree = calloc(1, sizeof *tree);
    tree->id = 5;
    tree->left = left;
    static ev_list leaves[1];
    leaves[0].value = 10; leaves[0].next = node(11, NULL);
    tree->leaves.leaves_len = 1; tree->leaves.leaves_val = leaves;
    v->tree = tree;

    v->int_union = int_union(EV_NEGATIVE);
    v->enum_union.color = EV_GREEN;
    v->enum_union.ev_enum_union_u.green_list = node(99, NULL);
    v->bool_union.present = TRUE;
    v->bool_union.ev_bool_union_u.value = -99;
    v->unsigned_union.tag = 0xFFFFFFFFu;
    v->unsigned_union.ev_unsigned_union_u.big = 3.5;
    static ev_widths optional;
    optional = widths2();
    v->optional_widths = &optional;
    static ev_int_union unions[6];
    int whiches[] = {0, 1, 2, 3, EV_NEGATIVE, 7};
    for (int i = 0; i < 6; i++) unions[i] = int_union(whiches[i]);
    v->unions.unions_len = 6; v->unions.unions_val = unions;
}

static void check_tree(const ev_tree *a, const ev_tree *b, const char *path) {
    char p[256];
    snprintf(p, sizeof p, "%s presence", path);
    CHECK((a == NULL) == (b == NULL), p);
    if (!a || !b) return;
    snprintf(p, sizeof p, "%s.id", path); CHECK(a->id == b->id, p);
    snprintf(p, sizeof p, "%s.left", path); check_tree(a->left, b->left, p);
    snprintf(p, sizeof p, "%s.right", path); check_tree(a->right, b->right, p);
    snprintf(p, sizeof p, "%s.leaves length", path);
    CHECK(a->leaves.leaves_len == b->leaves.leaves_len, p);
    for (u_int i = 0; i < a->leaves.leaves_len && i < b->leaves.leaves_len; i++) {
        snprintf(p, sizeof p, "%s.leaves[%u]", path, i);
        check_list(&a->leaves.leaves_val[i], &b->leaves.leaves_val[i], p);
    }
}

#define SAME_BYTES(len_a, val_a, len_b, val_b, path) \
    CHECK((len_a) == (len_b) && memcmp((val_a), (val_b), (len_a) * sizeof *(val_a)) == 0, path)

static void check(const ev_everything *v, const ev_everything *e) {
    const ev_scalars *s = &v->scalars, *t = &e->scalars;
#define S(field) CHECK(s->field == t->field, "scalars." #field)
    S(i); S(u); S(h); S(uh); S(f); S(d); S(b); S(color); S(alias); S(color_alias);
    /* libtirpc's xdr_long zero-extends into a 64-bit long: compare the 32 wire bits. */
    CHECK((int32_t)s->l == (int32_t)t->l, "scalars.l");
    CHECK((uint32_t)s->ul == (uint32_t)t->ul, "scalars.ul");
#undef S
    check_widths(&v->widths, &e->widths, "widths");

    const ev_arrays *a = &v->arrays, *b = &e->arrays;
    CHECK(memcmp(a->fixed_opaque, b->fixed_opaque, 3) == 0, "arrays.fixed_opaque");
    CHECK(memcmp(a->inline_fixed_opaque, b->inline_fixed_opaque, 5) == 0, "arrays.inline_fixed_opaque");
    SAME_BYTES(a->inline_var_opaque.inline_var_opaque_len, a->inline_var_opaque.inline_var_opaque_val,
               b->inline_var_opaque.inline_var_opaque_len, b->inline_var_opaque.inline_var_opaque_val,
               "arrays.inline_var_opaque");
    SAME_BYTES(a->unbounded_opaque.ev_unbounded_opaque_len, a->unbounded_opaque.ev_unbounded_opaque_val,
               b->unbounded_opaque.ev_unbounded_opaque_len, b->unbounded_opaque.ev_unbounded_opaque_val,
               "arrays.unbounded_opaque");
    CHECK(strcmp(a->name, b->name) == 0, "arrays.name");
    CHECK(strcmp(a->unbounded_name, b->unbounded_name) == 0, "arrays.unbounded_name");
    CHECK(memcmp(a->fixed_ints, b->fixed_ints, sizeof a->fixed_ints) == 0, "arrays.fixed_ints");
    SAME_BYTES(a->var_ints.var_ints_len, a->var_ints.var_ints_val, b->var_ints.var_ints_len,
               b->var_ints.var_ints_val, "arrays.var_ints");
    SAME_BYTES(a->unbounded_hypers.unbounded_hypers_len, a->unbounded_hypers.unbounded_hypers_val,
               b->unbounded_hypers.unbounded_hypers_len, b->unbounded_hypers.unbounded_hypers_val,
               "arrays.unbounded_hypers");
    check_widths(&a->fixed_widths[0], &b->fixed_widths[0], "arrays.fixed_widths[0]");
    check_widths(&a->fixed_widths[1], &b->fixed_widths[1], "arrays.fixed_widths[1]");
    CHECK(a->var_widths.var_widths_len == b->var_widths.var_widths_len, "arrays.var_widths length");
    for (u_int i = 0; i < a->var_widths.var_widths_len && i < b->var_widths.var_widths_len; i++)
        check_widths(&a->var_widths.var_widths_val[i], &b->var_widths.var_widths_val[i], "arrays.var_widths[i]");
    CHECK(a->names.ev_names_len == b->names.ev_names_len, "arrays.names length");
    for (u_int i = 0; i < a->names.ev_names_len && i < b->names.ev_names_len; i++)
        CHECK(strcmp(a->names.ev_names_val[i], b->names.ev_names_val[i]) == 0, "arrays.names[i]");
    CHECK(a->sizes[0] == b->sizes[0] && a->sizes[1] == b->sizes[1], "arrays.sizes");
    SAME_BYTES(a->times.ev_times_len, a->times.ev_times_val, b->times.ev_times_len, b->times.ev_times_val,
               "arrays.times");
    CHECK(a->nested_lists.nested_lists_len == b->nested_lists.nested_lists_len, "arrays.nested_lists length");
    for (u_int i = 0; i < a->nested_lists.nested_lists_len && i < b->nested_lists.nested_lists_len; i++) {
        const ev_int_list *x = &a->nested_lists.nested_lists_val[i], *y = &b->nested_lists.nested_lists_val[i];
        SAME_BYTES(x->ev_int_list_len, x->ev_int_list_val, y->ev_int_list_len, y->ev_int_list_val,
                   "arrays.nested_lists[i]");
    }

    check_list(v->list, e->list, "list");
    check_tree(v->tree, e->tree, "tree");
    check_int_union(&v->int_union, &e->int_union, "int_union");
    CHECK(v->enum_union.color == e->enum_union.color, "enum_union.color");
    check_list(v->enum_union.ev_enum_union_u.green_list, e->enum_union.ev_enum_union_u.green_list,
               "enum_union.green_list");
    CHECK(v->bool_union.present == e->bool_union.present, "bool_union.present");
    CHECK(v->bool_union.ev_bool_union_u.value == e->bool_union.ev_bool_union_u.value, "bool_union.value");
    CHECK(v->unsigned_union.tag == e->unsigned_union.tag, "unsigned_union.tag");
    CHECK(v->unsigned_union.ev_unsigned_union_u.big == e->unsigned_union.ev_unsigned_union_u.big,
          "unsigned_union.big");
    CHECK(v->optional_widths != NULL, "optional_widths presence");
    if (v->optional_widths) check_widths(v->optional_widths, e->optional_widths, "optional_widths");
    CHECK(v->unions.unions_len == e->unions.unions_len, "unions length");
    for (u_int i = 0; i < v->unions.unions_len && i < e->unions.unions_len; i++)
        check_int_union(&v->unions.unions_val[i], &e->unions.unions_val[i], "unions[i]");
}

static char buffer[BUFFER_SIZE];

static size_t read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    size_t n = fread(buffer, 1, BUFFER_SIZE, f);
    fclose(f);
    return n;
}

static void decode(const char *path, ev_everything *v) {
    size_t n = read_file(path);
    XDR xdr;
    xdrmem_create(&xdr, buffer, (u_int)n, XDR_DECODE);
    memset(v, 0, sizeof *v);
    if (!xdr_ev_everything(&xdr, v)) { fprintf(stderr, "xdr_ev_everything failed to decode\n"); exit(1); }
    if (xdr_getpos(&xdr) != n) { fprintf(stderr, "%zu bytes left over\n", n - xdr_getpos(&xdr)); exit(1); }
}

static void encode(const char *path, ev_everything *v) {
    static char out[BUFFER_SIZE];
    XDR xdr;
    xdrmem_create(&xdr, out, BUFFER_SIZE, XDR_ENCODE);
    if (!xdr_ev_everything(&xdr, v)) { fprintf(stderr, "xdr_ev_everything failed to encode\n"); exit(1); }
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fwrite(out, 1, xdr_getpos(&xdr), f);
    fclose(f);
}

int main(int argc, char **argv) {
    ev_everything value, wanted;
    if (argc == 3 && strcmp(argv[1], "encode") == 0) {
        expected(&value);
        encode(argv[2], &value);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        decode(argv[2], &value);
        expected(&wanted);
        check(&value, &wanted);
        if (failures) { fprintf(stderr, "%d mismatches\n", failures); return 1; }
        printf("ok\n");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "echo") == 0) {
        decode(argv[2], &value);
        encode(argv[3], &value);
        return 0;
    }
    fprintf(stderr, "usage: ev_peer encode OUT | check IN | echo IN OUT\n");
    return 2;
}
