-- One row per (seller, category, rival hit) for every seller with 5-star reviews in a category: how
-- many 5-star reviews it has there (its fans), and how many of those fans look like reused attack
-- accounts, never giving a rival 5 stars and either giving rivals two or more 1-star reviews
-- (attack_accounts) or giving a rival a 1-star within $praise_days days of their first 5-star for
-- this seller (praise_and_attack_accounts). Per rival those accounts hit: how many accounts, how many
-- 1-star reviews, and when the first came. A seller with no such account has a single row with no
-- rival. Only reviewers with a 1-star review in the category can be attack accounts, so only their
-- reviews are followed across sellers (a few million rows, not tens of millions). Reviews written by
-- the end of $as_of count, removed ones too: a later removal does not undo that the account wrote it.
-- Ids are grouped by their 64-bit hashes and named again at the end.
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

extreme as (
    select hash(r.reviewer_id) as reviewer_id, p.category, p.seller_id, r.rating, r.created_at
    from reviews as r
    join product_keys as p using (product_id)
    where r.created_at < $as_of::date + interval 1 day
      and r.rating in (1, 5)
),

fans as (
    select seller_id, category, count(*) as five_star_reviews
    from extreme
    where rating = 5
    group by seller_id, category
),

critics as (
    -- reviewer-category pairs with a 1-star review: the only possible attack accounts
    select distinct reviewer_id, category
    from extreme
    where rating = 1
),

critics_reviews as (
    select e.*
    from extreme as e
    semi join critics as c using (reviewer_id, category)
),

by_reviewer_seller as (
    select
        reviewer_id,
        category,
        seller_id,
        count(*) filter (where rating = 5) as five_star_reviews,
        count(*) filter (where rating = 1) as one_star_reviews,
        min(created_at) filter (where rating = 5) as first_five_star_at,
        min(created_at) filter (where rating = 1) as first_one_star_at
    from critics_reviews
    group by reviewer_id, category, seller_id
),

by_reviewer as (
    select
        reviewer_id,
        category,
        sum(five_star_reviews) as five_star_reviews,
        sum(one_star_reviews) as one_star_reviews
    from by_reviewer_seller
    group by reviewer_id, category
    having count(*) >= 2
),

hostile_fans as (
    -- a fan of the seller who never gave a rival 5 stars, with each rival it gave 1 star
    select
        f.seller_id,
        f.category,
        f.reviewer_id,
        r.one_star_reviews_total - f.one_star_reviews as rival_one_star_reviews,
        x.seller_id as rival_seller_id,
        x.one_star_reviews,
        x.first_one_star_at,
        abs(date_diff('day', f.first_five_star_at, x.first_one_star_at)) <= $praise_days as near_praise
    from by_reviewer_seller as f
    join (select reviewer_id, category, five_star_reviews as five_star_reviews_total,
                 one_star_reviews as one_star_reviews_total
          from by_reviewer) as r using (reviewer_id, category)
    join by_reviewer_seller as x
        on x.reviewer_id = f.reviewer_id
       and x.category = f.category
       and x.seller_id <> f.seller_id
       and x.one_star_reviews > 0
    where f.five_star_reviews > 0
      and r.five_star_reviews_total = f.five_star_reviews
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
        f.five_star_reviews,
        coalesce(a.attack_accounts, 0) as attack_accounts,
        coalesce(a.praise_and_attack_accounts, 0) as praise_and_attack_accounts,
        rn.seller_id as rival_seller_id,
        coalesce(h.rival_accounts, 0) as rival_accounts,
        coalesce(h.rival_account_one_stars, 0) as rival_account_one_stars,
        h.first_one_star_at
    from fans as f
    left join attack_counts as a using (seller_id, category)
    left join rivals_hit as h using (seller_id, category)
    join seller_names as sn on sn.seller_key = f.seller_id
    join category_names as cn on cn.category_key = f.category
    left join seller_names as rn on rn.seller_key = h.rival_seller_id
)

select * from final
