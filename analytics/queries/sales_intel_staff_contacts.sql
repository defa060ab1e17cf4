-- Every day an employee touched a seller, by the end of $as_of: any logged action naming the seller or
-- one of its products (views of accounts and reviews included: an insider checking a buyer's account
-- is a view). One row per (employee_idx, seller_idx, day_idx), as integer codes in the orders
-- targeting_employees.sql and targeting_staff_touches.sql use (day_idx: days since $first_day,
-- negative before the data starts). Sellers outside the scored products are left out.
with sellers_in_scope as (
    select distinct p.seller_id
    from products as p
    join sellers as s using (seller_id)
    where s.registered_on <= $as_of
),

seller_index as (
    select seller_id, (row_number() over (order by seller_id) - 1)::integer as seller_idx
    from sellers_in_scope
),

employee_index as (
    select employee_id, (row_number() over (order by employee_id) - 1)::integer as employee_idx
    from (select distinct employee_id from access_log where ts < $as_of::date + interval 1 day)
),

touched as (
    select
        a.employee_id,
        coalesce(a.seller_id, p.seller_id) as seller_id,
        date_diff('day', $first_day::date, a.ts::date)::integer as day_idx
    from access_log as a
    left join products as p on p.product_id = a.product_id
    where a.ts < $as_of::date + interval 1 day
),

final as (
    select distinct e.employee_idx, s.seller_idx, t.day_idx
    from touched as t
    join employee_index as e using (employee_id)
    join seller_index as s using (seller_id)
)

select * from final
order by employee_idx, seller_idx, day_idx
