#include <vector>

#include <gtest/gtest.h>

#include "base/intrusive_list.h"

using namespace wk;

namespace {

struct Thread {
    int id;
    IntrusiveListNode m_run_node;
    IntrusiveListNode m_wait_node;
};

using RunQueue = IntrusiveList<Thread, &Thread::m_run_node>;
using WaitQueue = IntrusiveList<Thread, &Thread::m_wait_node>;

std::vector<int> ids(const RunQueue& list)
{
    std::vector<int> result;
    for (Thread& thread : list)
        result.push_back(thread.id);
    return result;
}

} // namespace

TEST(IntrusiveList, PushPopOrder)
{
    Thread a { 1, {}, {} }, b { 2, {}, {} }, c { 3, {}, {} };
    RunQueue queue;
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.first(), nullptr);
    EXPECT_EQ(queue.pop_front(), nullptr);
    queue.push_back(b);
    queue.push_back(c);
    queue.push_front(a);
    EXPECT_EQ(ids(queue), (std::vector<int> { 1, 2, 3 }));
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ(queue.first(), &a);
    EXPECT_EQ(queue.last(), &c);
    EXPECT_TRUE(b.m_run_node.is_linked());
    EXPECT_EQ(queue.pop_front(), &a);
    EXPECT_FALSE(a.m_run_node.is_linked());
    EXPECT_EQ(queue.pop_back(), &c);
    EXPECT_EQ(queue.pop_front(), &b);
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.size(), 0u);
}

TEST(IntrusiveList, RemoveFromAnywhere)
{
    Thread t[5] = { { 0, {}, {} }, { 1, {}, {} }, { 2, {}, {} }, { 3, {}, {} }, { 4, {}, {} } };
    RunQueue queue;
    for (auto& thread : t)
        queue.push_back(thread);
    queue.remove(t[2]);
    queue.remove(t[0]);
    queue.remove(t[4]);
    EXPECT_EQ(ids(queue), (std::vector<int> { 1, 3 }));
    EXPECT_FALSE(t[2].m_run_node.is_linked());
    EXPECT_FALSE(queue.contains(t[2]));
    EXPECT_TRUE(queue.contains(t[3]));
    queue.insert_before(t[3], t[2]);
    EXPECT_EQ(ids(queue), (std::vector<int> { 1, 2, 3 }));
    queue.clear();
    EXPECT_TRUE(queue.is_empty());
    for (auto& thread : t)
        EXPECT_FALSE(thread.m_run_node.is_linked());
}

TEST(IntrusiveList, RemovingTheEndsKeepsFirstAndLastRight)
{
    Thread a { 1, {}, {} }, b { 2, {}, {} }, c { 3, {}, {} };
    RunQueue queue;
    queue.push_back(a);
    queue.push_back(b);
    queue.remove(b);
    EXPECT_EQ(queue.last(), &a);
    queue.push_back(c);
    EXPECT_EQ(ids(queue), (std::vector<int> { 1, 3 }));
    EXPECT_EQ(queue.last(), &c);
    queue.remove(a);
    EXPECT_EQ(queue.first(), &c);
    queue.push_front(b);
    EXPECT_EQ(ids(queue), (std::vector<int> { 2, 3 }));
    queue.remove(b);
    queue.remove(c);
    EXPECT_EQ(queue.first(), nullptr);
    EXPECT_EQ(queue.last(), nullptr);
    queue.push_back(a);
    EXPECT_EQ(queue.first(), &a);
    EXPECT_EQ(queue.last(), &a);
    queue.clear();
}

TEST(IntrusiveList, RemovingTheCurrentElementWhileIterating)
{
    Thread t[6] = { { 0, {}, {} }, { 1, {}, {} }, { 2, {}, {} }, { 3, {}, {} }, { 4, {}, {} }, { 5, {}, {} } };
    RunQueue queue;
    for (auto& thread : t)
        queue.push_back(thread);
    for (Thread& thread : queue) {
        if (thread.id % 2 == 0)
            queue.remove(thread);
    }
    EXPECT_EQ(ids(queue), (std::vector<int> { 1, 3, 5 }));
    queue.clear();
}

TEST(IntrusiveList, OneObjectOnTwoListsThroughTwoNodes)
{
    Thread a { 1, {}, {} }, b { 2, {}, {} };
    RunQueue run;
    WaitQueue wait;
    run.push_back(a);
    run.push_back(b);
    wait.push_back(b);
    EXPECT_TRUE(b.m_run_node.is_linked());
    EXPECT_TRUE(b.m_wait_node.is_linked());
    EXPECT_EQ(wait.first(), &b);
    EXPECT_EQ(wait.first()->id, 2);
    run.remove(b);
    EXPECT_TRUE(wait.contains(b));
    EXPECT_FALSE(run.contains(b));
    wait.clear();
    run.clear();
}

TEST(IntrusiveList, DestroyingTheListUnlinksItsNodes)
{
    Thread a { 1, {}, {} };
    {
        RunQueue queue;
        queue.push_back(a);
    }
    EXPECT_FALSE(a.m_run_node.is_linked());
}

namespace {

void link_on_two_lists()
{
    Thread a { 1, {}, {} };
    RunQueue one, two;
    one.push_back(a);
    two.push_back(a);
}

void remove_from_the_wrong_list()
{
    Thread a { 1, {}, {} };
    RunQueue one, two;
    one.push_back(a);
    two.remove(a);
}

void destroy_a_linked_object()
{
    RunQueue queue;
    auto* a = new Thread { 1, {}, {} };
    queue.push_back(*a);
    delete a;
}

} // namespace

TEST(IntrusiveListDeathTest, MisuseAsserts)
{
    EXPECT_DEATH(link_on_two_lists(), "ASSERTION FAILED");
    EXPECT_DEATH(remove_from_the_wrong_list(), "ASSERTION FAILED");
    EXPECT_DEATH(destroy_a_linked_object(), "ASSERTION FAILED");
}
