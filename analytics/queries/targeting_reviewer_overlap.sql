-- One row per (seller, category, rival hit) for every seller whose 5-star reviewers ("fans") in a
-- category also gave other sellers' products there a 1-star or 5-star review: how many such fans it
-- has, how many of those extreme reviews of rivals they wrote and how many were 1-star (what reused
-- attack accounts inflate), how many fans rated rivals at least twice, and how many fans who never
-- gave a rival 5 stars look like attack accounts: two or more 1-star reviews of rivals
-- (attack_accounts), or a 1-star review of a rival within $praise_days days of their praise for this
-- seller (praise_and_attack_accounts). Per rival those accounts hit: how many accounts, how many
-- 1-star reviews, and when the first came. A seller with no such account has a single row with no
-- rival. Only 1- and 5-star reviews are read (the middle ratings say nothing here and are a third of
-- the table). Reviews written by the end of $as_of count, removed ones too: a later removal does not
-- undo that the account wrote it. Ids are grouped by their 64-bit hashes (much faster on tens of
-- millions of reviews) and named again at the end.
with product_keys as (
    select product_id, hash(category) as category, hash(seller_id) as seller_id
    from products
),

seller_names as (
    select distinct hash(seller_id) as seller_key, seller_id
    from products
),

category_names as (
    select distinct hash(category) as category_key, category
    from products
),

written as (
    select hash(r.reviewer_id) as reviewer_id, p.category, p.seller_id, r.rating, r.created_at
    from reviews as r
    join product_keys as p using (product_id)
    where r.created_at < $as_of::date + interval 1 day
      and r.rating in (1, 5)
),

by_reviewer_seller as (
    select
        reviewer_id,
        category,
        seller_id,
        count(*) filter (where rating = 5) as five_star_reviews,
        count(*) filter (where rating = 1) as one_star_reviews,
        min(created_at) filter (where rating = 1) as first_one_star_at,
        min(created_at) filter (where rating = 5) as first_five_star_at
    from written
    group by reviewer_id, category, seller_id
),

multi_seller_reviewers as (
    -- reviewers who rated at least two sellers in the category: the only ones who can overlap
    select
        reviewer_id,
        category,
        sum(five_star_reviews) as five_star_reviews,
        sum(one_star_reviews) as one_star_reviews
    from by_reviewer_seller
    group by reviewer_id, category
    having count(*) >= 2
),

fans_reviewing_rivals as (
    select
        b.seller_id,
        b.category,
        b.reviewer_id,
        b.first_five_star_at,
        m.five_star_reviews - b.five_star_reviews as rival_five_star_reviews,
        m.one_star_reviews - b.one_star_reviews as rival_one_star_reviews
    from by_reviewer_seller as b
    join multi_seller_reviewers as m using (reviewer_id, category)
    where b.five_star_reviews > 0
),

hostile_fans as (
    -- fans who never gave a rival 5 stars, with each rival they gave 1 star, and whether that 1-star
    -- came within $praise_days days of their first 5-star for this seller
    select
        f.seller_id,
        f.category,
        f.reviewer_id,
        f.rival_one_star_reviews,
        b.seller_id as rival_seller_id,
        b.one_star_reviews,
        b.first_one_star_at,
        abs(date_diff('day', f.first_five_star_at, b.first_one_star_at)) <= $praise_days as near_praise
    from fans_reviewing_rivals as f
    join by_reviewer_seller as b
        on b.reviewer_id = f.reviewer_id
       and b.category = f.category
       and b.seller_id <> f.seller_id
       and b.one_star_reviews > 0
    where f.rival_five_star_reviews = 0
),

attack_like as (
    select
        seller_id,
        category,
        reviewer_id,
        max(rival_one_star_reviews) >= 2 as repeated,
        bool_or(near_praise) as near_praise
    from hostile_fans
    group by seller_id, category, reviewer_id
),

attack_counts as (
    select
        seller_id,
        category,
        count(*) filter (where repeated) as attack_accounts,
        count(*) filter (where near_praise) as praise_and_attack_accounts
    from attack_like
    group by seller_id, category
),

per_seller as (
    select
        f.seller_id,
        f.category,
        count(*) as fans_reviewing_rivals,
        sum(f.rival_five_star_reviews + f.rival_one_star_reviews) as rival_reviews,
        sum(f.rival_one_star_reviews) as rival_one_star_reviews,
        count(*) filter (where f.rival_one_star_reviews > 0) as fans_giving_rivals_one_star,
        count(*) filter (where f.rival_one_star_reviews + f.rival_five_star_reviews >= 2) as fans_rating_rivals_twice,
        coalesce(any_value(a.attack_accounts), 0) as attack_accounts,
        coalesce(any_value(a.praise_and_attack_accounts), 0) as praise_and_attack_accounts
    from fans_reviewing_rivals as f
    left join attack_counts as a using (seller_id, category)
    group by f.seller_id, f.category
),

rivals_hit as (
    select
        h.seller_id,
        h.category,
        h.rival_seller_id,
        count(*) as rival_accounts,
        sum(h.one_star_reviews) as rival_account_one_stars,
        min(h.first_one_star_at) as first_one_star_at
    from hostile_fans as h
    join attack_like as a using (seller_id, category, reviewer_id)
    where a.repeated or a.near_praise
    group by h.seller_id, h.category, h.rival_seller_id
),

final as (
    select
        sn.seller_id,
        cn.category,
        s.fans_reviewing_rivals,
        s.rival_reviews,
        s.rival_one_star_reviews,
        s.fans_giving_rivals_one_star,
        s.fans_rating_rivals_twice,
        s.attack_accounts,
        s.praise_and_attack_accounts,
        rn.seller_id as rival_seller_id,
        coalesce(h.rival_accounts, 0) as rival_accounts,
        coalesce(h.rival_account_one_stars, 0) as rival_account_one_stars,
        h.first_one_star_at
    from per_seller as s
    left join rivals_hit as h using (seller_id, category)
    join seller_names as sn on sn.seller_key = s.seller_id
    join category_names as cn on cn.category_key = s.category
    left join seller_names as rn on rn.seller_key = h.rival_seller_id
)

select * from final
